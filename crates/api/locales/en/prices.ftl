# The labels of a price's lines (civicpay_api::permits; the keys of civicpay_domain::pricing::labels
# with `-` for `.` and `_`): in the quotes over GraphQL and the shop, and in a bill's lines.
price-base = Price
price-emission = Adjustment for the vehicle's emission class
price-delivery-fee = Registered letter
price-correction-fee = Fee
price-extension = Extension
price-refund-unused = Refund for the unused period
price-zone-change-old-zone = Old zone, rest of the period
price-zone-change-new-zone = New zone, rest of the period
