# The e-mail telling the applicant of a caseworker's decision (civicpay_api::permits), in the
# council's default language. $sku: the permit's product, $number: the permit's number,
# $reason: the caseworker's reason for a rejection.
email-approved-subject = Your application is approved
email-approved-body = Your application for { $sku } (no. { $number }) is approved. The amount is now charged to your card, and the permit is valid from today.
email-rejected-subject = Your application is rejected
email-rejected-body =
    Your application for { $sku } (no. { $number }) is rejected: { $reason }
    Nothing was charged; the reservation on your card is released.
