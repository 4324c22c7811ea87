# The permit as PDF (civicpay_api::documents::permit_pdf).
permit-plate = Plate
permit-temporary-vehicle = Temporary vehicle
permit-zone = Zone
permit-valid-from = Valid from
permit-valid-to = Valid until
permit-holder = Holder
permit-number = Permit no.
permit-footer = The permit is checked electronically by the plate; there is nothing to display in the car.

# A payment's receipt as PDF (civicpay_api::documents::receipt_pdf).
receipt-title = Receipt
receipt-number = Receipt no.
receipt-date = Date
receipt-payment-method = Payment method
receipt-description = Description
receipt-quantity = Qty
receipt-vat = VAT
receipt-amount = Amount
receipt-total = Total
receipt-vat-included = Of which VAT
receipt-refunded = Refunded
# $gateway: the PSP's name, e.g. "sandbox".
receipt-paid-via = Paid via { $gateway }
# When it was paid: $date as `date` writes it, $time as 14:05.
receipt-paid-at = { $date }, { $time }
