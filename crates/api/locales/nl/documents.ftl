# De vergunning als pdf.
permit-plate = Kenteken
permit-temporary-vehicle = Vervangend voertuig
permit-zone = Zone
permit-valid-from = Geldig vanaf
permit-valid-to = Geldig tot en met
permit-holder = Houder
permit-number = Vergunningnr.
permit-footer = De vergunning wordt elektronisch op kenteken gecontroleerd.

# Het betalingsbewijs als pdf.
receipt-title = Betalingsbewijs
receipt-number = Bewijsnr.
receipt-date = Datum
receipt-payment-method = Betaalwijze
receipt-description = Omschrijving
receipt-quantity = Aantal
receipt-vat = Btw
receipt-amount = Bedrag
receipt-total = Totaal
receipt-vat-included = Waarvan btw
receipt-refunded = Terugbetaald
receipt-paid-via = Betaald via { $gateway }
receipt-paid-at = { $date } { $time }
