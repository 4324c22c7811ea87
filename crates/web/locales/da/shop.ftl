# civicpay-butikken — dansk. Hver besked her skal også findes på en, nl og pl.

## Layout
skip-to-content = Gå til indhold
nav-label = Hovedmenu
nav-shop = Butik
nav-my-permits = Mine licenser
nav-my-bills = Mine regninger
nav-my-payments = Mine betalinger
nav-basket = Kurv
basket-count = { $count } varer i kurven
logged-in-as = Logget ind som { $name }
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
back-to-my-permits = Tilbage til mine licenser
go-to-basket = Gå til kurven

## Forside
home-title = Licenser, billetter og regninger
home-lead = Søg om parkeringslicens, køb periodekort og billetter, og betal dine regninger fra kommunen — samlet ét sted.
home-login = Log ind for at søge og betale
home-empty = Der er ikke noget til salg her endnu.
kind-permit = Parkeringslicenser
kind-period_card = Periodekort
kind-scratch_ticket = Skrabebilletter
kind-tag = P-brikker
price-from = fra { $price }

## Produkt
product-price = Pris
product-price-by-class = Prisen afhænger af dit køretøjs drivmiddel:
product-fuel-class = Drivmiddel
fuel-electric = El
fuel-hybrid = Hybrid
fuel-petrol = Benzin
fuel-diesel = Diesel
product-letter-fee = Ved forsendelse med post sendes bestillinger over { $above } som anbefalet brev for { $fee }.
product-price-explained = Du ser hver linje i prisen, før du betaler.
product-may-i = Kan jeg få den?
product-check = Tjek med mine oplysninger
product-apply = Søg
product-login-to-check = Log ind for at se, om du kan få den — og hvorfor ikke, hvis du ikke kan.
check-approved = Ja: du opfylder alle betingelser.
check-needs_review = Måske: en sagsbehandler skal se på din ansøgning.
check-rejected = Nej, ikke med disse oplysninger.
check-unavailable = Vi kunne ikke tjekke det lige nu.
check-why-not = Hvorfor ikke:
check-address-zone = Din folkeregisteradresse ligger i zone { $zone }.
check-zone-product = Søg i stedet om { $product }
check-register-down = Et register, vi skal bruge, svarede ikke. Prøv igen om nogle minutter; intet er gemt.

## Ansøgning
apply-title = Søg: { $product }
apply-plate = Nummerplade
apply-plate-hint = Som på pladen, for eksempel AB 12 345.
apply-plate-missing = Skriv køretøjets nummerplade.
apply-plate-invalid = Nummerpladen er ikke gyldig: { $detail }
apply-start = Første dag
apply-start-hint = I dag eller senere.
apply-start-past = Første dag kan ikke ligge i fortiden.
apply-start-invalid = Skriv første dag som en dato, for eksempel 2026-12-24.
apply-delivery = Levering
apply-delivery-pickup = Digitalt, eller hent den i borgerservice
apply-delivery-post = Med posten
apply-zone-from-address = Zonen kommer fra din adresse i folkeregistret.
apply-submit = Søg og gå til kurven
apply-map = Hvor licensen gælder
apply-map-caption = Kommunens parkeringszoner.
apply-map-caption-zone = Licensen gælder i zone { $zone }.
form-has-errors = Ret venligst følgende:
applied-rejected-title = Din ansøgning blev afvist
applied-rejected-lead = Vi kan ikke give dig { $product }:
applied-rejected-next = Hvis du mener, det er forkert, så kontakt kommunen; du har ikke betalt noget.
applied-review-title = Din ansøgning bliver behandlet
applied-review-lead = En sagsbehandler ser på din ansøgning om { $product }. Du kan betale nu: beløbet reserveres kun på dit kort og trækkes, når ansøgningen er godkendt.
applied-active-title = Din licens er aktiv
applied-active-lead = { $product } er aktiv nu, uden beregning.

## Kurv
basket-title = Kurv
basket-empty = Din kurv er tom.
basket-full = Kurven er fuld; betal det, der er i den, først.
basket-remove = Fjern
basket-remove-item = Fjern { $item } fra kurven
basket-review-note = Reserveres kun, indtil en sagsbehandler godkender.
basket-review-explained = Nogle varer skal først godkendes af en sagsbehandler: beløbet reserveres på dit kort nu og trækkes først ved godkendelse.
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
status-pending = Vi venter på, at betalingstjenesten bekræfter din betaling. Siden opdaterer sig selv.
status-authorized = Beløbet er reserveret på dit kort. Det trækkes, når kommunen godkender din ansøgning.
status-paid = Tak: vi har modtaget din betaling.
status-failed = Betalingen gik ikke igennem. Der er ikke trukket noget; du kan prøve igen.
status-cancelled = Betalingen blev annulleret. Der er ikke trukket noget.
status-expired = Betalingen blev ikke gennemført i tide. Der er ikke trukket noget; du kan prøve igen.
status-reason = Betalingstjenestens begrundelse: { $reason }
status-retry = Prøv igen
status-receipt = Kvittering (PDF)
status-back-to-service = Tilbage til tjenesten
status-nothing-charged = Dine regninger forbliver åbne, indtil de er betalt.

## Mine licenser
my-permits-title = Mine licenser
my-permits-none = Du har ingen licenser endnu.
my-permits-current = Nuværende licenser og ansøgninger
my-permits-past = Tidligere licenser og ansøgninger
col-permit = Licens
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
permit-status-cancelled = Annulleret
permit-pdf = Licens (PDF)
permit-change = Ret licensen
permit-renew = Forny for et år mere
permit-renew-lead = Din licens udløber snart. Forny den for at kunne parkere fra dagen efter, den udløber.
permit-extend = Forlæng
permit-extend-until = Ny sidste dag
permit-vehicle = Skift køretøj
permit-vehicle-plate = Det nye køretøjs nummerplade
permit-temporary = Midlertidigt køretøj
permit-temporary-until = Sidste dag med det midlertidige køretøj
permit-cancel = Opsig licensen
permit-cancel-lead = Licensen ophører i dag. Den ubrugte del betales tilbage til det kort, du betalte med; gebyrer betales ikke tilbage.
permit-cancel-reason = Hvorfor
notice-extended = Licensen er forlænget.
notice-vehicle = Køretøjet på licensen er skiftet.
notice-cancelled = Licensen er opsagt. En eventuel tilbagebetaling går til det kort, du betalte med.
notice-renewed = Licensen er fornyet.
correct-date-invalid = Skriv en gyldig dato.
correct-kind-invalid = Vælg, hvad du vil ændre.

## Mine regninger og betalinger
my-bills-title = Mine regninger
my-bills-lead = Alle regninger fra alle kommunens forvaltninger, samlet ét sted.
my-bills-open = Til betaling
my-bills-none-open = Du har ingen åbne regninger.
my-bills-add = Læg de valgte regninger i kurven
my-bills-settled = Betalt og afsluttet
my-bills-none-settled = Ingen betalte regninger endnu.
col-choose = Vælg
col-bill = Regning
col-due = Forfald
col-receipt = Kvittering
col-date = Dato
bill-status-open = Åben
bill-status-paid = Betalt
bill-status-cancelled = Annulleret
bill-status-expired = Udløbet
my-payments-title = Mine betalinger
my-payments-none = Du har ikke betalt noget endnu.
payment-status-created = Startet
payment-status-pending = Afventer
payment-status-authorized = Reserveret
payment-status-capture_requested = Trækkes
payment-status-captured = Betalt
payment-status-partially_refunded = Delvist tilbagebetalt
payment-status-refunded = Tilbagebetalt
payment-status-failed = Mislykket
payment-status-void_requested = Annulleres
payment-status-voided = Annulleret
payment-status-expired = Udløbet

## Log ind
login-title = Log ind
login-lead = Log ind for at søge om licenser, se dine regninger og betale.
login-none = Log ind er endnu ikke muligt for denne kommune.
login-development = Udviklings-log-ind
login-development-warning = Kun på testinstallationer: vælg en af kommunens opdigtede demopersoner. Ingen rigtige personers data bruges.
login-pick-person = Vælg en person at logge ind som.
login-failed = Log ind lykkedes ikke: { $detail }
login-no-pending = log ind blev startet i en anden browser eller tog for lang tid; start forfra.

## Fejl
error-title = Noget gik galt
error-back = Tilbage
error-csrf = Formularen var udløbet eller kom ikke fra dette websted. Gå tilbage, genindlæs siden og prøv igen.
error-bad-input = Noget i det, du har skrevet, er ikke rigtigt.
error-unauthenticated = Log venligst ind først.
error-forbidden = Det må du ikke.
error-not-found = Vi kunne ikke finde det.
error-conflict = Det kan ikke lade sig gøre lige nu.
error-internal = Noget gik galt hos os. Der er ikke trukket noget; prøv igen om et øjeblik.
