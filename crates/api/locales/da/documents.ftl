# Licensen som PDF.
permit-plate = Nummerplade
permit-temporary-vehicle = Midlertidigt køretøj
permit-zone = Zone
permit-valid-from = Gyldig fra
permit-valid-to = Gyldig til
permit-holder = Indehaver
permit-number = Licensnr.
permit-footer = Licensen kontrolleres elektronisk på nummerpladen; du behøver ikke lægge den i bilen.

# Kvitteringen som PDF.
receipt-title = Kvittering
receipt-number = Kvitteringsnr.
receipt-date = Dato
receipt-payment-method = Betalingsmåde
receipt-description = Beskrivelse
receipt-quantity = Antal
receipt-vat = Moms
receipt-amount = Beløb
receipt-total = I alt
receipt-vat-included = Heraf moms
receipt-refunded = Tilbagebetalt
receipt-paid-via = Betalt via { $gateway }
receipt-paid-at = { $date } { $time }
