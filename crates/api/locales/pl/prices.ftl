# Opisy pozycji ceny.
price-base = Cena
price-emission = Dopłata/zniżka wg klasy emisji
price-delivery-fee = List polecony
price-correction-fee = Opłata
price-extension = Przedłużenie
price-refund-unused = Zwrot za niewykorzystany okres
price-zone-change-old-zone = Stara strefa, reszta okresu
price-zone-change-new-zone = Nowa strefa, reszta okresu
