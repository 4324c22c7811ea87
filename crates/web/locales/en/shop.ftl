# civicpay shop — English. Every message here must exist in da, nl and pl too
# (the test every_language_has_every_message checks it).

## Layout
skip-to-content = Skip to content
nav-label = Main menu
nav-shop = Shop
nav-my-permits = My permits
nav-my-bills = My bills
nav-my-payments = My payments
nav-basket = Basket
basket-count = { $count } items in the basket
logged-in-as = Logged in as { $name }
logged-in-for-company = { $name } for { $company }
login = Log in
logout = Log out
language-label = Language
footer-help = Questions? Write to
optional = (optional)
reference = Reference
total = Total
vat-included = Of which VAT
back-to-shop = Back to the shop
back-to-product = Back to { $product }
back-to-my-permits = Back to my permits
go-to-basket = Go to the basket

## Home
home-title = Permits, tickets and bills
home-lead = Apply for a parking permit, buy period cards and tickets, and pay your bills from the council — all in one place.
home-login = Log in to apply and pay
home-empty = Nothing is for sale here yet.
kind-permit = Parking permits
kind-period_card = Period cards
kind-scratch_ticket = Scratch tickets
kind-tag = Garage tags
price-from = from { $price }

## Product
product-price = Price
product-price-by-class = The price depends on your vehicle's fuel:
product-fuel-class = Fuel
fuel-electric = Electric
fuel-hybrid = Hybrid
fuel-petrol = Petrol
fuel-diesel = Diesel
product-letter-fee = Sent by post, orders over { $above } are sent by registered letter for { $fee }.
product-price-explained = You see every line of the price before you pay.
product-may-i = Can I get it?
product-check = Check with my details
product-apply = Apply
product-login-to-check = Log in to see whether you can get it, with the reason if not.
check-approved = Yes: you meet every condition.
check-needs_review = Possibly: a caseworker has to look at your application.
check-rejected = No, not with these details.
check-unavailable = We could not check this right now.
check-why-not = Why not:
check-address-zone = Your registered address is in zone { $zone }.
check-zone-product = Apply for { $product } instead
check-register-down = A register we need did not answer. Try again in a few minutes; nothing was saved.

## Application
apply-title = Apply: { $product }
apply-plate = Number plate
apply-plate-hint = As on the plate, for example AB 12 345.
apply-plate-missing = Enter the number plate of the vehicle.
apply-plate-invalid = The number plate is not valid: { $detail }
apply-start = First day
apply-start-hint = Today or later.
apply-start-past = The first day cannot be in the past.
apply-start-invalid = Enter the first day as a date, for example 2026-12-24.
apply-delivery = Delivery
apply-delivery-pickup = Digital, or pick it up at the counter
apply-delivery-post = By post
apply-zone-from-address = The zone comes from your registered address in the population register.
apply-submit = Apply and go to the basket
apply-map = Where the permit is valid
apply-map-caption = The council's parking zones.
apply-map-caption-zone = The permit is valid in zone { $zone }.
form-has-errors = Please correct the following:
applied-rejected-title = Your application was refused
applied-rejected-lead = We cannot give you { $product }:
applied-rejected-next = If you think this is wrong, contact the council; you have not been charged anything.
applied-review-title = Your application will be reviewed
applied-review-lead = A caseworker will look at your application for { $product }. You can pay now: the amount is only reserved on your card and is charged when the application is approved.
applied-active-title = Your permit is active
applied-active-lead = { $product } is active now, free of charge.

## Basket
basket-title = Basket
basket-empty = Your basket is empty.
basket-full = The basket is full; pay what is in it first.
basket-remove = Remove
basket-remove-item = Remove { $item } from the basket
basket-review-note = Reserved only until a caseworker approves it.
basket-review-explained = Some items are reviewed by a caseworker first: their amount is reserved on your card now and charged only when approved.
basket-email = E-mail for the receipt
basket-email-hint = We send the receipt here.
basket-email-invalid = The e-mail address is not valid: { $detail }
basket-pay = Pay { $total }
col-item = Item
col-vat = VAT
col-amount = Amount
col-actions = Actions

## Payment status
status-title = Payment status
status-pending = We are waiting for the payment service to confirm your payment. This page updates by itself.
status-authorized = The amount is reserved on your card. It is charged when the council approves your application.
status-paid = Thank you: your payment has been received.
status-failed = The payment did not go through. Nothing was charged; you can try again.
status-cancelled = The payment was cancelled. Nothing was charged.
status-expired = The payment was not completed in time. Nothing was charged; you can try again.
status-reason = Reason given by the payment service: { $reason }
status-retry = Try again
status-receipt = Receipt (PDF)
status-back-to-service = Back to the service
status-nothing-charged = Your bills stay open until they are paid.

## My permits
my-permits-title = My permits
my-permits-none = You have no permits yet.
my-permits-current = Current permits and applications
my-permits-past = Earlier permits and applications
col-permit = Permit
col-plate = Number plate
col-valid = Valid
col-status = Status
col-zone = Zone
col-reason = Reason
permit-status-rejected = Refused
permit-status-waiting_review = Being reviewed
permit-status-pending_payment = Waiting for payment
permit-status-active = Active
permit-status-expired = Expired
permit-status-cancelled = Cancelled
permit-pdf = Permit (PDF)
permit-change = Change the permit
permit-renew = Renew for another year
permit-renew-lead = Your permit ends soon. Renew it to keep parking from the day after it ends.
permit-extend = Extend
permit-extend-until = New last day
permit-vehicle = Change vehicle
permit-vehicle-plate = Number plate of the new vehicle
permit-temporary = Temporary vehicle
permit-temporary-until = Last day with the temporary vehicle
permit-cancel = Cancel the permit
permit-cancel-lead = The permit ends today. The unused part is refunded to the card you paid with; fees are not refunded.
permit-cancel-reason = Why
notice-extended = The permit was extended.
notice-vehicle = The vehicle on the permit was changed.
notice-cancelled = The permit was cancelled. Any refund goes back to the card you paid with.
notice-renewed = The permit was renewed.
correct-date-invalid = Enter a valid date.
correct-kind-invalid = Choose what to change.

## My bills and payments
my-bills-title = My bills
my-bills-lead = Every bill from every department of the council, in one place.
my-bills-open = To pay
my-bills-none-open = You have no open bills.
my-bills-add = Add the chosen bills to the basket
my-bills-settled = Paid and closed
my-bills-none-settled = No paid bills yet.
col-choose = Choose
col-bill = Bill
col-due = Due
col-receipt = Receipt
col-date = Date
bill-status-open = Open
bill-status-paid = Paid
bill-status-cancelled = Cancelled
bill-status-expired = Expired
my-payments-title = My payments
my-payments-none = You have made no payments yet.
payment-status-created = Started
payment-status-pending = Waiting
payment-status-authorized = Reserved
payment-status-capture_requested = Being charged
payment-status-captured = Paid
payment-status-partially_refunded = Partly refunded
payment-status-refunded = Refunded
payment-status-failed = Failed
payment-status-void_requested = Being cancelled
payment-status-voided = Cancelled
payment-status-expired = Expired

## Log-in
login-title = Log in
login-lead = Log in to apply for permits, see your bills and pay.
login-none = Log-in is not available for this council yet.
login-development = Development log-in
login-development-warning = Only on test installations: pick one of the council's made-up demo people. No real person's data is used.
login-development-company = Log in for a company
login-development-company-lead = Choose who logs in, then the company they act for (as a business eID such as MitID Erhverv would vouch). The company's permits and bills are shown.
login-company-person = Who logs in
login-pick-person = Choose a person to log in as.
login-failed = The log-in did not succeed: { $detail }
login-no-pending = the log-in was started in another browser or took too long; start again.
login-cancelled = you cancelled it at the eID provider. You can start again whenever you like.
login-provider-error = the eID provider could not complete it (error { $code }). Try again in a moment.
login-refused = the eID provider's answer could not be accepted. Try again; if it happens again, contact the council. (Technical reason: { $reason })

## Errors
error-title = Something went wrong
error-back = Back
error-csrf = The form had expired or did not come from this site. Go back, reload the page and try again.
error-bad-input = Something in what you entered is not right.
error-unauthenticated = Please log in first.
error-forbidden = You may not do that.
error-not-found = We could not find that.
error-conflict = That cannot be done right now.
error-internal = Something went wrong on our side. Nothing was charged; please try again in a moment.

# The pay link of a bill (/pay/{id}), as a council system sends it
paylink-from = A bill from { $council }. You can pay it here without logging in.
paylink-lines = What the bill is for
paylink-quantity = Quantity
paylink-add-to-basket = Add to my basket instead
paylink-not-open = This bill cannot be paid here (status: { $status }).
