-- wrk script: a caseworker's eligibility check for a resident permit (file-backed registers).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept-Language"] = "da"
wrk.headers["Cookie"] = os.getenv("CIVICPAY_COOKIE")
wrk.body = '{"query":"{ checkEligibility(sku: \\"P-RES-K1\\", nationalId: \\"120485-1006\\", plate: \\"AB12345\\", purpose: \\"load test\\") { decision rules { ruleId passed } } }"}'
