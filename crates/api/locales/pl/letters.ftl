# List o unieważnieniu po ponownej weryfikacji (także temat i treść e-maila).
letter-deactivated-subject = Twoje zezwolenie parkingowe zostało unieważnione
letter-deactivated-intro = Sprawdziliśmy Twoje zezwolenie w rejestrach publicznych. Zezwolenie zostało unieważnione z dniem dzisiejszym. ({ $sku }, { $plate })
letter-deactivated-reason = Powód: { $reason }
letter-deactivated-next = Jeśli dane są nieprawidłowe, skontaktuj się z nami. Nowe zezwolenie możesz złożyć w sklepie internetowym.

# Każdy list.
letter-reference = Nr zezwolenia { $number }
letter-closing =
    Z poważaniem
    { $council }
