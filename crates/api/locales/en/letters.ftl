# The registry re-match's deactivation letter (civicpay_api::rematch), also the e-mail's subject
# and body. $sku: the permit's product, $plate: the vehicle, $reason: the failing rules'
# messages from the council's rules.toml.
letter-deactivated-subject = Your parking permit has been deactivated
letter-deactivated-intro = We have checked your permit against the population and vehicle registers. The permit is deactivated from today. ({ $sku }, { $plate })
letter-deactivated-reason = Reason: { $reason }
letter-deactivated-next = If you believe the register is wrong, please contact us. You can apply for a new permit in the web shop.

# Every letter: the reference line ($number: the permit's number) and the closing above the
# council's name.
letter-reference = Permit no. { $number }
letter-closing =
    Kind regards
    { $council }
