-- wrk script: the public catalogue query of one council, as a shop page would ask it.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept-Language"] = "da"
wrk.body = '{"query":"{ products { sku kind name price { amount currency } } }"}'
