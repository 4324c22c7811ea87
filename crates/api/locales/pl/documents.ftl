# Zezwolenie jako PDF.
permit-plate = Numer rejestracyjny
permit-temporary-vehicle = Pojazd zastępczy
permit-zone = Strefa
permit-valid-from = Ważne od
permit-valid-to = Ważne do
permit-holder = Posiadacz
permit-number = Nr zezwolenia
permit-footer = Zezwolenie jest sprawdzane elektronicznie po numerze rejestracyjnym.

# Potwierdzenie zapłaty jako PDF.
receipt-title = Potwierdzenie zapłaty
receipt-number = Nr potwierdzenia
receipt-date = Data
receipt-payment-method = Metoda płatności
receipt-description = Opis
receipt-quantity = Ilość
receipt-vat = VAT
receipt-amount = Kwota
receipt-total = Razem
receipt-vat-included = W tym VAT
receipt-refunded = Zwrócono
receipt-paid-via = Zapłacono przez { $gateway }
receipt-paid-at = { $date } { $time }
