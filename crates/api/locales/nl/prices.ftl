# De teksten van de prijsregels.
price-base = Prijs
price-emission = Toeslag/korting naar milieuklasse
price-delivery-fee = Aangetekende zending
price-correction-fee = Administratiekosten
price-extension = Verlenging
price-refund-unused = Terugbetaling ongebruikte periode
price-zone-change-old-zone = Oude zone, rest van de periode
price-zone-change-new-zone = Nieuwe zone, rest van de periode
