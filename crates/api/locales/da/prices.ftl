# Prislinjernes tekster.
price-base = Pris
price-emission = Tillæg/fradrag efter køretøjets miljøklasse
price-delivery-fee = Anbefalet brev
price-correction-fee = Gebyr
price-extension = Forlængelse
price-refund-unused = Tilbagebetaling for ubrugt periode
price-zone-change-old-zone = Gammel zone, resten af perioden
price-zone-change-new-zone = Ny zone, resten af perioden
