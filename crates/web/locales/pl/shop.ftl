# Sklep civicpay — wersja polska. Każdy komunikat z tego pliku musi istnieć także po angielsku, duńsku i niderlandzku
# (sprawdza to test every_language_has_every_message).

## Układ strony
skip-to-content = Przejdź do treści
nav-label = Menu główne
nav-shop = Sklep
nav-my-permits = Moje abonamenty
nav-my-bills = Moje należności
nav-my-payments = Moje płatności
nav-basket = Koszyk
basket-count = Pozycje w koszyku: { $count }
logged-in-as = Zalogowano jako { $name }
logged-in-for-company = { $name } w imieniu { $company }
login = Zaloguj się
logout = Wyloguj się
language-label = Język
footer-help = Pytania prosimy kierować na adres
optional = (opcjonalnie)
reference = Nr referencyjny
total = Razem
vat-included = W tym VAT
back-to-shop = Powrót do sklepu
back-to-product = Powrót do: { $product }
back-to-my-permits = Powrót do moich abonamentów
go-to-basket = Przejdź do koszyka

## Strona główna
home-title = Abonamenty, bilety i należności
home-lead = Wniosek o abonament parkingowy, zakup kart okresowych i biletów oraz opłacenie należności wobec urzędu – wszystko w jednym miejscu.
home-login = Zaloguj się, aby złożyć wniosek i zapłacić
home-empty = Na razie nie ma tu nic do kupienia.
kind-permit = Abonamenty parkingowe
kind-period_card = Karty okresowe
kind-scratch_ticket = Karty zdrapki
kind-tag = Breloki do garaży
price-from = od { $price }

## Produkt
product-price = Cena
product-price-by-class = Cena zależy od rodzaju paliwa pojazdu:
product-fuel-class = Paliwo
fuel-electric = Energia elektryczna
fuel-hybrid = Napęd hybrydowy
fuel-petrol = Benzyna
fuel-diesel = Olej napędowy
product-letter-fee = Wysyłka pocztą. Zamówienia powyżej { $above } wysyłamy listem poleconym za { $fee }.
product-price-explained = Przed zapłatą widoczne są wszystkie składniki ceny.
product-may-i = Czy spełniam warunki?
product-check = Sprawdź na podstawie moich danych
product-apply = Złóż wniosek
product-login-to-check = Po zalogowaniu sprawdzimy, czy warunki są spełnione, a jeśli nie – podamy powód.
check-approved = Tak, wszystkie warunki są spełnione.
check-needs_review = Być może. Wniosek musi sprawdzić urzędnik.
check-rejected = Nie, nie przy tych danych.
check-unavailable = Nie udało się tego teraz sprawdzić.
check-why-not = Powód:
check-address-zone = Adres zameldowania znajduje się w strefie { $zone }.
check-zone-product = Zamiast tego złóż wniosek: { $product }
check-register-down = Potrzebny rejestr nie odpowiedział. Prosimy spróbować ponownie za kilka minut. Nic nie zostało zapisane.

## Wniosek
apply-title = Wniosek: { $product }
apply-plate = Numer rejestracyjny
apply-plate-hint = Tak jak na tablicy rejestracyjnej, np. WA 12345.
apply-plate-missing = Należy podać numer rejestracyjny pojazdu.
apply-plate-invalid = Numer rejestracyjny jest nieprawidłowy: { $detail }
apply-start = Data rozpoczęcia
apply-start-hint = Dzisiaj lub później.
apply-start-past = Data rozpoczęcia nie może przypadać w przeszłości.
apply-start-invalid = Datę rozpoczęcia należy podać jako datę, np. 2026-12-24.
apply-delivery = Sposób odbioru
apply-delivery-pickup = Elektronicznie lub odbiór osobisty w urzędzie
apply-delivery-post = Pocztą
apply-zone-from-address = Strefa wynika z adresu zameldowania w rejestrze mieszkańców.
apply-submit = Złóż wniosek i przejdź do koszyka
apply-map = Gdzie obowiązuje abonament
apply-map-caption = Strefy płatnego parkowania w gminie.
apply-map-caption-zone = Abonament obowiązuje w strefie { $zone }.
form-has-errors = Prosimy poprawić następujące błędy:
applied-rejected-title = Wniosek został odrzucony
applied-rejected-lead = Wniosek o „{ $product }” nie może zostać rozpatrzony pozytywnie:
applied-rejected-next = Jeśli ta decyzja wydaje się błędna, prosimy o kontakt z urzędem. Nie pobrano żadnej opłaty.
applied-review-title = Wniosek zostanie rozpatrzony
applied-review-lead = Urzędnik rozpatrzy wniosek o „{ $product }”. Można zapłacić już teraz: kwota zostanie tylko zablokowana na karcie i pobrana dopiero po zatwierdzeniu wniosku.
applied-active-title = Abonament jest aktywny
applied-active-lead = Usługa „{ $product }” jest już aktywna i bezpłatna.

## Koszyk
basket-title = Koszyk
basket-empty = Koszyk jest pusty.
basket-full = Koszyk jest pełny. Najpierw należy opłacić jego zawartość.
basket-remove = Usuń
basket-remove-item = Usuń z koszyka: { $item }
basket-review-note = Kwota zablokowana tylko do czasu zatwierdzenia przez urzędnika.
basket-review-explained = Niektóre pozycje najpierw sprawdza urzędnik: ich kwota jest teraz blokowana na karcie, a pobierana dopiero po zatwierdzeniu.
basket-email = Adres e-mail do wysłania potwierdzenia
basket-email-hint = Na ten adres wyślemy potwierdzenie płatności.
basket-email-invalid = Adres e-mail jest nieprawidłowy: { $detail }
basket-pay = Zapłać { $total }
col-item = Pozycja
col-vat = VAT
col-amount = Kwota
col-actions = Działania

## Status płatności
status-title = Status płatności
status-pending = Czekamy na potwierdzenie płatności przez operatora płatności. Strona odświeży się automatycznie.
status-authorized = Kwota została zablokowana na karcie. Zostanie pobrana, gdy urząd zatwierdzi wniosek.
status-paid = Dziękujemy, otrzymaliśmy płatność.
status-failed = Płatność nie powiodła się. Nie pobrano żadnych środków. Można spróbować ponownie.
status-cancelled = Płatność została anulowana. Nie pobrano żadnych środków.
status-expired = Płatność nie została zrealizowana w wyznaczonym czasie. Nie pobrano żadnych środków. Można spróbować ponownie.
status-reason = Powód podany przez operatora płatności: { $reason }
status-retry = Spróbuj ponownie
status-receipt = Potwierdzenie płatności (PDF)
status-back-to-service = Powrót do usługi
status-nothing-charged = Należności pozostają do zapłaty, dopóki nie zostaną uregulowane.

## Moje abonamenty
my-permits-title = Moje abonamenty
my-permits-none = Brak abonamentów.
my-permits-current = Aktualne abonamenty i wnioski
my-permits-past = Wcześniejsze abonamenty i wnioski
col-permit = Abonament
col-plate = Numer rejestracyjny
col-valid = Okres ważności
col-status = Status
col-zone = Strefa
col-reason = Powód
permit-status-rejected = Odrzucony
permit-status-waiting_review = W trakcie rozpatrywania
permit-status-pending_payment = Oczekuje na płatność
permit-status-active = Aktywny
permit-status-expired = Wygasły
permit-status-cancelled = Anulowany
permit-pdf = Abonament (PDF)
permit-change = Zmień abonament
permit-renew = Odnów na kolejny rok
permit-renew-lead = Abonament wkrótce wygasa. Po odnowieniu można dalej parkować od dnia następującego po jego wygaśnięciu.
permit-extend = Przedłuż
permit-extend-until = Nowa data zakończenia
permit-vehicle = Zmień pojazd
permit-vehicle-plate = Numer rejestracyjny nowego pojazdu
permit-temporary = Pojazd zastępczy
permit-temporary-until = Ostatni dzień korzystania z pojazdu zastępczego
permit-cancel = Zrezygnuj z abonamentu
permit-cancel-lead = Abonament wygaśnie dzisiaj. Kwota za niewykorzystany okres zostanie zwrócona na kartę, którą dokonano płatności. Opłaty dodatkowe nie podlegają zwrotowi.
permit-cancel-reason = Powód
notice-extended = Abonament został przedłużony.
notice-vehicle = Pojazd w abonamencie został zmieniony.
notice-cancelled = Abonament został anulowany. Ewentualny zwrot trafi na kartę, którą dokonano płatności.
notice-renewed = Abonament został odnowiony.
correct-date-invalid = Należy podać prawidłową datę.
correct-kind-invalid = Należy wybrać, co ma zostać zmienione.

## Moje należności i płatności
my-bills-title = Moje należności
my-bills-lead = Wszystkie należności wobec wszystkich wydziałów urzędu w jednym miejscu.
my-bills-open = Do zapłaty
my-bills-none-open = Brak należności do zapłaty.
my-bills-add = Dodaj wybrane należności do koszyka
my-bills-settled = Opłacone i zamknięte
my-bills-none-settled = Brak opłaconych należności.
col-choose = Wybierz
col-bill = Należność
col-due = Termin płatności
col-receipt = Potwierdzenie
col-date = Data
bill-status-open = Do zapłaty
bill-status-paid = Opłacona
bill-status-cancelled = Anulowana
bill-status-expired = Wygasła
my-payments-title = Moje płatności
my-payments-none = Brak płatności.
payment-status-created = Rozpoczęta
payment-status-pending = Oczekuje
payment-status-authorized = Autoryzowana
payment-status-capture_requested = W trakcie pobierania
payment-status-captured = Opłacona
payment-status-partially_refunded = Częściowo zwrócona
payment-status-refunded = Zwrócona
payment-status-failed = Nieudana
payment-status-void_requested = W trakcie anulowania
payment-status-voided = Anulowana
payment-status-expired = Wygasła

## Logowanie
login-title = Logowanie
login-lead = Po zalogowaniu można składać wnioski o abonamenty, przeglądać należności i płacić.
login-none = Logowanie w tej gminie nie jest jeszcze dostępne.
login-development = Logowanie testowe
login-development-warning = Tylko w instalacjach testowych: należy wybrać jedną z fikcyjnych osób demonstracyjnych urzędu. Nie są używane dane żadnej prawdziwej osoby.
login-development-company = Zaloguj się jako firma
login-development-company-lead = Wybierz, kto się loguje, a potem firmę, w której imieniu działa (jak potwierdziłby to firmowy e-identyfikator). Zobaczysz zezwolenia i rachunki firmy.
login-company-person = Kto się loguje
login-pick-person = Wybierz osobę do zalogowania.
login-failed = Logowanie nie powiodło się: { $detail }
login-no-pending = logowanie rozpoczęto w innej przeglądarce lub trwało zbyt długo; należy zacząć od nowa.
login-cancelled = przerwano je u dostawcy e-identyfikacji. Możesz zacząć od nowa w dowolnej chwili.
login-provider-error = dostawca e-identyfikacji nie mógł go dokończyć (błąd { $code }). Spróbuj ponownie za chwilę.
login-refused = odpowiedzi dostawcy e-identyfikacji nie można było przyjąć. Spróbuj ponownie; jeśli to się powtórzy, skontaktuj się z urzędem. (Przyczyna techniczna: { $reason })

## Błędy
error-title = Wystąpił błąd
error-back = Powrót
error-csrf = Formularz wygasł lub nie pochodzi z tej strony. Należy wrócić, odświeżyć stronę i spróbować ponownie.
error-bad-input = Wprowadzone dane zawierają błąd.
error-unauthenticated = Najpierw należy się zalogować.
error-forbidden = Brak uprawnień do wykonania tej czynności.
error-not-found = Nie znaleziono szukanej strony.
error-conflict = Tej czynności nie można teraz wykonać.
error-internal = Wystąpił błąd po naszej stronie. Nie pobrano żadnych środków. Prosimy spróbować ponownie za chwilę.

# The pay link of a bill (/pay/{id}), as a council system sends it
paylink-from = Rachunek od: { $council }. Możesz go tu zapłacić bez logowania.
paylink-lines = Za co jest rachunek
paylink-quantity = Ilość
paylink-add-to-basket = Zamiast tego dodaj do koszyka
paylink-not-open = Tego rachunku nie można tu zapłacić (status: { $status }).
