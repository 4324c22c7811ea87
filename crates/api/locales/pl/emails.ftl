# E-mail o decyzji urzędnika.
email-approved-subject = Twój wniosek został zatwierdzony
email-approved-body = Twój wniosek o { $sku } (nr { $number }) został zatwierdzony. Kwota zostanie teraz pobrana; zezwolenie obowiązuje od dziś.
email-rejected-subject = Twój wniosek został odrzucony
email-rejected-body =
    Twój wniosek o { $sku } (nr { $number }) został odrzucony: { $reason }
    Nic nie zostało pobrane; blokada środków została zwolniona.
