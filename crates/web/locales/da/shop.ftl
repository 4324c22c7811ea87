# civicpay-butikken — dansk. Alle beskeder her skal også findes på engelsk, hollandsk og polsk
# (testen every_language_has_every_message tjekker det).

## Sideopbygning
skip-to-content = Gå til indhold
nav-label = Hovedmenu
nav-shop = Butik
nav-my-permits = Mine tilladelser
nav-my-bills = Mine regninger
nav-my-payments = Mine betalinger
nav-basket = Kurv
basket-count = Varer i kurven: { $count }
logged-in-as = Logget ind som { $name }
logged-in-for-company = { $name } for { $company }
login = Log ind
logout = Log ud
language-label = Sprog
footer-help = Spørgsmål? Skriv til
optional = (valgfrit)
reference = Reference
total = I alt
vat-included = Heraf moms
back-to-shop = Tilbage til butikken
back-to-product = Tilbage til { $product }
back-to-my-permits = Tilbage til mine tilladelser
go-to-basket = Gå til kurven

## Forside
home-title = Tilladelser, billetter og regninger
home-lead = Søg om en parkeringstilladelse, køb periodekort og billetter, og betal dine regninger fra kommunen – alt samlet ét sted.
home-login = Log ind for at søge og betale
home-empty = Der er ikke noget til salg her endnu.
kind-permit = Parkeringstilladelser
kind-period_card = Periodekort
kind-scratch_ticket = Skrabebilletter
kind-tag = Garagebrikker
price-from = fra { $price }

## Produkt
product-price = Pris
product-price-by-class = Prisen afhænger af, hvilket brændstof dit køretøj kører på:
product-fuel-class = Brændstof
fuel-electric = El
fuel-hybrid = Hybrid
fuel-petrol = Benzin
fuel-diesel = Diesel
product-letter-fee = Sendes med posten. Bestillinger over { $above } sendes som anbefalet brev for { $fee }.
product-price-explained = Du kan se alle dele af prisen, før du betaler.
product-may-i = Kan jeg få det?
product-check = Tjek med mine oplysninger
product-apply = Søg
product-login-to-check = Log ind for at se, om du kan få det – og hvorfor ikke, hvis du ikke kan.
check-approved = Ja, du opfylder alle betingelserne.
check-needs_review = Måske. En sagsbehandler skal se på din ansøgning.
check-rejected = Nej, ikke med de oplysninger.
check-unavailable = Vi kunne ikke tjekke det lige nu.
check-why-not = Hvorfor ikke:
check-address-zone = Din folkeregisteradresse ligger i zone { $zone }.
check-zone-product = Søg i stedet om { $product }
check-register-down = Et register, vi skal bruge, svarede ikke. Prøv igen om et par minutter. Der er ikke gemt noget.

## Ansøgning
apply-title = Ansøgning: { $product }
apply-plate = Nummerplade
apply-plate-hint = Som på nummerpladen, fx AB 12 345.
apply-plate-missing = Skriv nummerpladen på køretøjet.
apply-plate-invalid = Nummerpladen er ikke gyldig: { $detail }
apply-start = Første dag
apply-start-hint = I dag eller senere.
apply-start-past = Første dag kan ikke ligge tilbage i tiden.
apply-start-invalid = Skriv første dag som en dato, fx 2026-12-24.
apply-delivery = Levering
apply-delivery-pickup = Digitalt, eller hent den ved skranken
apply-delivery-post = Med posten
apply-zone-from-address = Zonen bestemmes ud fra din adresse i folkeregistret (CPR).
apply-submit = Send ansøgningen og gå til kurven
apply-map = Hvor tilladelsen gælder
apply-map-caption = Kommunens parkeringszoner.
apply-map-caption-zone = Tilladelsen gælder i zone { $zone }.
form-has-errors = Ret følgende:
applied-rejected-title = Din ansøgning er afvist
applied-rejected-lead = Vi kan ikke give dig { $product }:
applied-rejected-next = Hvis du mener, at det er forkert, kan du kontakte kommunen. Du har ikke betalt noget.
applied-review-title = Din ansøgning skal behandles
applied-review-lead = En sagsbehandler ser på din ansøgning om { $product }. Du kan betale nu: Beløbet bliver kun reserveret på dit kort og bliver først trukket, når ansøgningen er godkendt.
applied-active-title = Din tilladelse er aktiv
applied-active-lead = { $product } gælder fra nu, og det koster ikke noget.

## Kurv
basket-title = Kurv
basket-empty = Din kurv er tom.
basket-full = Kurven er fuld. Betal først det, der ligger i den.
basket-remove = Fjern
basket-remove-item = Fjern { $item } fra kurven
basket-review-note = Kun reserveret, indtil en sagsbehandler har godkendt det.
basket-review-explained = Nogle varer skal først godkendes af en sagsbehandler. Beløbet for dem bliver reserveret på dit kort nu og først trukket, når de er godkendt.
basket-email = E-mail til kvitteringen
basket-email-hint = Vi sender kvitteringen hertil.
basket-email-invalid = E-mailadressen er ikke gyldig: { $detail }
basket-pay = Betal { $total }
col-item = Vare
col-vat = Moms
col-amount = Beløb
col-actions = Handlinger

## Betalingsstatus
status-title = Betalingsstatus
status-pending = Vi venter på, at betalingstjenesten bekræfter din betaling. Siden opdaterer automatisk.
status-authorized = Beløbet er reserveret på dit kort. Det bliver trukket, når kommunen har godkendt din ansøgning.
status-paid = Tak. Vi har modtaget din betaling.
status-failed = Betalingen gik ikke igennem. Der er ikke trukket noget, og du kan prøve igen.
status-cancelled = Betalingen blev annulleret. Der er ikke trukket noget.
status-expired = Betalingen blev ikke gennemført i tide. Der er ikke trukket noget, og du kan prøve igen.
status-reason = Begrundelse fra betalingstjenesten: { $reason }
status-retry = Prøv igen
status-receipt = Kvittering (PDF)
status-back-to-service = Tilbage til tjenesten
status-nothing-charged = Dine regninger er stadig åbne, indtil de er betalt.

## Mine tilladelser
my-permits-title = Mine tilladelser
my-permits-none = Du har ingen tilladelser endnu.
my-permits-current = Nuværende tilladelser og ansøgninger
my-permits-past = Tidligere tilladelser og ansøgninger
col-permit = Tilladelse
col-plate = Nummerplade
col-valid = Gyldig
col-status = Status
col-zone = Zone
col-reason = Begrundelse
permit-status-rejected = Afvist
permit-status-waiting_review = Under behandling
permit-status-pending_payment = Afventer betaling
permit-status-active = Aktiv
permit-status-expired = Udløbet
permit-status-cancelled = Opsagt
permit-pdf = Tilladelse (PDF)
permit-change = Ændr tilladelsen
permit-renew = Forny for et år mere
permit-renew-lead = Din tilladelse udløber snart. Forny den, så du kan blive ved med at parkere fra dagen efter, at den udløber.
permit-extend = Forlæng
permit-extend-until = Ny sidste dag
permit-vehicle = Skift køretøj
permit-vehicle-plate = Nummerplade på det nye køretøj
permit-temporary = Midlertidigt køretøj
permit-temporary-until = Sidste dag med det midlertidige køretøj
permit-cancel = Opsig tilladelsen
permit-cancel-lead = Tilladelsen ophører i dag. Du får pengene for den ubrugte del tilbage på det kort, du betalte med. Gebyrer får du ikke tilbage.
permit-cancel-reason = Hvorfor
notice-extended = Tilladelsen er forlænget.
notice-vehicle = Køretøjet på tilladelsen er skiftet.
notice-cancelled = Tilladelsen er opsagt. Hvis du får penge tilbage, kommer de ind på det kort, du betalte med.
notice-renewed = Tilladelsen er fornyet.
correct-date-invalid = Skriv en gyldig dato.
correct-kind-invalid = Vælg, hvad du vil ændre.

## Mine regninger og betalinger
my-bills-title = Mine regninger
my-bills-lead = Alle regninger fra alle kommunens forvaltninger samlet ét sted.
my-bills-open = Til betaling
my-bills-none-open = Du har ingen ubetalte regninger.
my-bills-add = Læg de valgte regninger i kurven
my-bills-settled = Betalt og afsluttet
my-bills-none-settled = Ingen betalte regninger endnu.
col-choose = Vælg
col-bill = Regning
col-due = Betalingsfrist
col-receipt = Kvittering
col-date = Dato
bill-status-open = Ikke betalt
bill-status-paid = Betalt
bill-status-cancelled = Annulleret
bill-status-expired = Udløbet
my-payments-title = Mine betalinger
my-payments-none = Du har ikke betalt noget endnu.
payment-status-created = Startet
payment-status-pending = Afventer
payment-status-authorized = Reserveret
payment-status-capture_requested = Bliver trukket
payment-status-captured = Betalt
payment-status-partially_refunded = Delvist tilbagebetalt
payment-status-refunded = Tilbagebetalt
payment-status-failed = Mislykkedes
payment-status-void_requested = Bliver annulleret
payment-status-voided = Annulleret
payment-status-expired = Udløbet

## Log ind
login-title = Log ind
login-lead = Log ind for at søge om tilladelser, se dine regninger og betale.
login-none = Du kan endnu ikke logge ind hos denne kommune.
login-development = Testlogin for udviklere
login-development-warning = Kun på testinstallationer: Vælg en af kommunens opdigtede testpersoner. Der bruges ingen oplysninger om rigtige personer.
login-development-company = Log ind for en virksomhed
login-development-company-lead = Vælg, hvem der logger ind, og derefter den virksomhed, personen handler for (som MitID Erhverv ville bekræfte). Virksomhedens licenser og regninger vises.
login-company-person = Hvem logger ind
login-pick-person = Vælg den person, du vil logge ind som.
login-failed = Du blev ikke logget ind: { $detail }
login-no-pending = login blev startet i en anden browser eller tog for lang tid. Start forfra.
login-cancelled = du afbrød det hos eID-udbyderen. Du kan starte forfra, når du vil.
login-provider-error = eID-udbyderen kunne ikke gennemføre det (fejl { $code }). Prøv igen om lidt.
login-refused = svaret fra eID-udbyderen kunne ikke godkendes. Prøv igen; sker det igen, så kontakt kommunen. (Teknisk årsag: { $reason })

## Fejl
error-title = Der skete en fejl
error-back = Tilbage
error-csrf = Formularen var udløbet eller kom ikke fra denne side. Gå tilbage, genindlæs siden, og prøv igen.
error-bad-input = Noget af det, du har skrevet, er ikke rigtigt.
error-unauthenticated = Du skal logge ind først.
error-forbidden = Det har du ikke adgang til.
error-not-found = Vi kunne ikke finde det, du leder efter.
error-conflict = Det kan ikke lade sig gøre lige nu.
error-internal = Der skete en fejl hos os. Der er ikke trukket noget. Prøv igen om lidt.

# The pay link of a bill (/pay/{id}), as a council system sends it
paylink-from = En regning fra { $council }. Du kan betale den her uden at logge ind.
paylink-lines = Hvad regningen dækker
paylink-quantity = Antal
paylink-add-to-basket = Læg i min kurv i stedet
paylink-not-open = Regningen kan ikke betales her (status: { $status }).
