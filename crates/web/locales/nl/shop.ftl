# civicpay-webwinkel — Nederlands. Elk bericht hier moet ook in het Engels, Deens en Pools bestaan
# (de test every_language_has_every_message controleert dat).

## Opmaak
skip-to-content = Naar de inhoud
nav-label = Hoofdmenu
nav-shop = Webwinkel
nav-my-permits = Mijn vergunningen
nav-my-bills = Mijn rekeningen
nav-my-payments = Mijn betalingen
nav-basket = Winkelmandje
basket-count = Aantal in het winkelmandje: { $count }
logged-in-as = Ingelogd als { $name }
logged-in-for-company = { $name } namens { $company }
login = Inloggen
logout = Uitloggen
language-label = Taal
footer-help = Vragen? Mail naar
optional = (niet verplicht)
reference = Kenmerk
total = Totaal
vat-included = Waarvan btw
back-to-shop = Terug naar de webwinkel
back-to-product = Terug naar { $product }
back-to-my-permits = Terug naar mijn vergunningen
go-to-basket = Naar het winkelmandje

## Startpagina
home-title = Vergunningen, kaarten en rekeningen
home-lead = Vraag een parkeervergunning aan, koop periodekaarten en tickets en betaal uw rekeningen van de gemeente. Alles op één plek.
home-login = Log in om aan te vragen en te betalen
home-empty = Er is hier nog niets te koop.
kind-permit = Parkeervergunningen
kind-period_card = Periodekaarten
kind-scratch_ticket = Kraskaarten
kind-tag = Garagepasjes
price-from = vanaf { $price }

## Product
product-price = Prijs
product-price-by-class = De prijs hangt af van de brandstof van uw voertuig:
product-fuel-class = Brandstof
fuel-electric = Elektrisch
fuel-hybrid = Hybride
fuel-petrol = Benzine
fuel-diesel = Diesel
product-letter-fee = Wij sturen dit per post. Bestellingen boven { $above } sturen wij aangetekend. Dat kost { $fee }.
product-price-explained = U ziet alle onderdelen van de prijs voordat u betaalt.
product-may-i = Kom ik in aanmerking?
product-check = Controleer met mijn gegevens
product-apply = Aanvragen
product-login-to-check = Log in om te zien of u in aanmerking komt. Komt u niet in aanmerking? Dan ziet u waarom.
check-approved = Ja, u voldoet aan alle voorwaarden.
check-needs_review = Misschien. Een medewerker moet uw aanvraag bekijken.
check-rejected = Nee, niet met deze gegevens.
check-unavailable = Wij konden dit nu niet controleren.
check-why-not = Waarom niet:
check-address-zone = Uw woonadres ligt in zone { $zone }.
check-zone-product = Vraag in plaats daarvan { $product } aan
check-register-down = Een register dat wij nodig hebben, reageerde niet. Probeer het over een paar minuten opnieuw. Er is niets opgeslagen.

## Aanvraag
apply-title = Aanvragen: { $product }
apply-plate = Kenteken
apply-plate-hint = Zoals op de kentekenplaat, bijvoorbeeld 12-ABC-3.
apply-plate-missing = Vul het kenteken van het voertuig in.
apply-plate-invalid = Het kenteken is niet geldig: { $detail }
apply-start = Ingangsdatum
apply-start-hint = Vandaag of later.
apply-start-past = De ingangsdatum kan niet in het verleden liggen.
apply-start-invalid = Vul de ingangsdatum in als datum, bijvoorbeeld 2026-12-24.
apply-delivery = Ontvangen
apply-delivery-pickup = Digitaal, of ophalen bij de balie
apply-delivery-post = Per post
apply-zone-from-address = De zone hangt af van uw adres in de Basisregistratie Personen (BRP).
apply-submit = Aanvragen en naar het winkelmandje
apply-map = Waar de vergunning geldig is
apply-map-caption = De parkeerzones van de gemeente.
apply-map-caption-zone = De vergunning is geldig in zone { $zone }.
form-has-errors = Verbeter het volgende:
applied-rejected-title = Uw aanvraag is afgewezen
applied-rejected-lead = U kunt { $product } niet krijgen:
applied-rejected-next = Denkt u dat dit niet klopt? Neem dan contact op met de gemeente. U hebt niets betaald.
applied-review-title = Uw aanvraag wordt beoordeeld
applied-review-lead = Een medewerker bekijkt uw aanvraag voor { $product }. U kunt nu al betalen. Het bedrag wordt dan alleen gereserveerd op uw kaart. Wij schrijven het pas af als de aanvraag is goedgekeurd.
applied-active-title = Uw vergunning is actief
applied-active-lead = { $product } is nu actief. U hoeft niets te betalen.

## Winkelmandje
basket-title = Winkelmandje
basket-empty = Uw winkelmandje is leeg.
basket-full = Uw winkelmandje is vol. Betaal eerst wat erin zit.
basket-remove = Verwijderen
basket-remove-item = { $item } uit het winkelmandje verwijderen
basket-review-note = Alleen gereserveerd, tot een medewerker dit goedkeurt.
basket-review-explained = Sommige onderdelen beoordeelt eerst een medewerker. Het bedrag daarvan reserveren wij nu op uw kaart. Wij schrijven het pas af na goedkeuring.
basket-email = E-mailadres voor het betaalbewijs
basket-email-hint = Wij sturen het betaalbewijs naar dit adres.
basket-email-invalid = Het e-mailadres is niet geldig: { $detail }
basket-pay = { $total } betalen
col-item = Omschrijving
col-vat = Btw
col-amount = Bedrag
col-actions = Acties

## Betaalstatus
status-title = Status van uw betaling
status-pending = Wij wachten tot de betaaldienst uw betaling bevestigt. Deze pagina wordt vanzelf bijgewerkt.
status-authorized = Het bedrag is gereserveerd op uw kaart. Wij schrijven het af als de gemeente uw aanvraag goedkeurt.
status-paid = Bedankt. Wij hebben uw betaling ontvangen.
status-failed = De betaling is niet gelukt. Er is niets afgeschreven. U kunt het opnieuw proberen.
status-cancelled = De betaling is geannuleerd. Er is niets afgeschreven.
status-expired = De betaling is niet op tijd afgerond. Er is niets afgeschreven. U kunt het opnieuw proberen.
status-reason = Reden van de betaaldienst: { $reason }
status-retry = Opnieuw proberen
status-receipt = Betaalbewijs (pdf)
status-back-to-service = Terug naar de dienst
status-nothing-charged = Uw rekeningen blijven openstaan tot ze betaald zijn.

## Mijn vergunningen
my-permits-title = Mijn vergunningen
my-permits-none = U hebt nog geen vergunningen.
my-permits-current = Huidige vergunningen en aanvragen
my-permits-past = Eerdere vergunningen en aanvragen
col-permit = Vergunning
col-plate = Kenteken
col-valid = Geldig
col-status = Status
col-zone = Zone
col-reason = Reden
permit-status-rejected = Afgewezen
permit-status-waiting_review = Wordt beoordeeld
permit-status-pending_payment = Wacht op betaling
permit-status-active = Actief
permit-status-expired = Verlopen
permit-status-cancelled = Opgezegd
permit-pdf = Vergunning (pdf)
permit-change = Vergunning wijzigen
permit-renew = Vernieuwen voor een jaar
permit-renew-lead = Uw vergunning loopt bijna af. Vernieuw de vergunning. Dan kunt u blijven parkeren vanaf de dag na de einddatum.
permit-extend = Verlengen
permit-extend-until = Nieuwe einddatum
permit-vehicle = Ander voertuig
permit-vehicle-plate = Kenteken van het nieuwe voertuig
permit-temporary = Tijdelijk voertuig
permit-temporary-until = Laatste dag met het tijdelijke voertuig
permit-cancel = Vergunning opzeggen
permit-cancel-lead = De vergunning stopt vandaag. Het deel dat u niet gebruikt, betalen wij terug op de kaart waarmee u hebt betaald. Bijkomende kosten krijgt u niet terug.
permit-cancel-reason = Waarom
notice-extended = De vergunning is verlengd.
notice-vehicle = Het voertuig op de vergunning is gewijzigd.
notice-cancelled = De vergunning is opgezegd. Krijgt u geld terug? Dan betalen wij dat terug op de kaart waarmee u hebt betaald.
notice-renewed = De vergunning is vernieuwd.
correct-date-invalid = Vul een geldige datum in.
correct-kind-invalid = Kies wat u wilt wijzigen.

## Mijn rekeningen en betalingen
my-bills-title = Mijn rekeningen
my-bills-lead = Alle rekeningen van alle afdelingen van de gemeente op één plek.
my-bills-open = Te betalen
my-bills-none-open = U hebt geen openstaande rekeningen.
my-bills-add = Gekozen rekeningen in het winkelmandje doen
my-bills-settled = Betaald en afgehandeld
my-bills-none-settled = Nog geen betaalde rekeningen.
col-choose = Kiezen
col-bill = Rekening
col-due = Betalen vóór
col-receipt = Betaalbewijs
col-date = Datum
bill-status-open = Openstaand
bill-status-paid = Betaald
bill-status-cancelled = Geannuleerd
bill-status-expired = Verlopen
my-payments-title = Mijn betalingen
my-payments-none = U hebt nog geen betalingen gedaan.
payment-status-created = Gestart
payment-status-pending = In afwachting
payment-status-authorized = Gereserveerd
payment-status-capture_requested = Wordt afgeschreven
payment-status-captured = Betaald
payment-status-partially_refunded = Deels terugbetaald
payment-status-refunded = Terugbetaald
payment-status-failed = Mislukt
payment-status-void_requested = Wordt geannuleerd
payment-status-voided = Geannuleerd
payment-status-expired = Verlopen

## Inloggen
login-title = Inloggen
login-lead = Log in om vergunningen aan te vragen, uw rekeningen te bekijken en te betalen.
login-none = Inloggen is bij deze gemeente nog niet mogelijk.
login-development = Testinloggen voor ontwikkelaars
login-development-warning = Alleen op testomgevingen: kies een van de verzonnen voorbeeldpersonen van de gemeente. Wij gebruiken geen gegevens van echte personen.
login-development-company = Inloggen voor een bedrijf
login-development-company-lead = Kies wie inlogt en daarna het bedrijf waarvoor die persoon handelt (zoals eHerkenning dat zou bevestigen). U ziet de vergunningen en rekeningen van het bedrijf.
login-company-person = Wie logt in
login-pick-person = Kies met welke persoon u wilt inloggen.
login-failed = Inloggen is niet gelukt: { $detail }
login-no-pending = het inloggen is in een andere browser gestart of duurde te lang. Begin opnieuw.
login-cancelled = u heeft het bij de eID-aanbieder afgebroken. U kunt altijd opnieuw beginnen.
login-provider-error = de eID-aanbieder kon het niet afronden (fout { $code }). Probeer het zo opnieuw.
login-refused = het antwoord van de eID-aanbieder kon niet worden geaccepteerd. Probeer het opnieuw; gebeurt het weer, neem dan contact op met de gemeente. (Technische reden: { $reason })

## Foutmeldingen
error-title = Er ging iets mis
error-back = Terug
error-csrf = Het formulier was verlopen of kwam niet van deze website. Ga terug, laad de pagina opnieuw en probeer het nog een keer.
error-bad-input = Iets wat u hebt ingevuld, klopt niet.
error-unauthenticated = Log eerst in.
error-forbidden = U hebt hiervoor geen toestemming.
error-not-found = Wij konden dit niet vinden.
error-conflict = Dit kan nu niet.
error-internal = Er ging bij ons iets mis. Er is niets afgeschreven. Probeer het over een moment opnieuw.

# The pay link of a bill (/pay/{id}), as a council system sends it
paylink-from = Een rekening van { $council }. U kunt hem hier betalen zonder in te loggen.
paylink-lines = Waar de rekening voor is
paylink-quantity = Aantal
paylink-add-to-basket = Liever in mijn winkelmandje
paylink-not-open = Deze rekening kunt u hier niet betalen (status: { $status }).
