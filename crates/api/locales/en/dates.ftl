# Dates as the language writes them (civicpay_api::i18n::format_date; the shop's pages use the
# same): "2 December 2026". `month-N` is the month's name as it stands in a date.
date = { $day } { $month } { $year }
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
