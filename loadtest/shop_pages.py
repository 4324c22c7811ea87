"""Shop pages under load: req/s, p50 and p99 per page, and the bytes the home page ships.

Expects `civicpay serve` on the embedded default with `CIVICPAY_BIND=127.0.0.1:8099` and a fresh
database (it applies for permits as Mette Sørensen, 120485-1006, of København). Four keep-alive
connections, 150 requests each, per page; figures are client-measured on loopback.

  1. home, product (logged out) and "my permits" with one unpaid permit (the first report's set);
  2. home again with `Accept-Encoding: gzip`, and as a browser asks (`gzip, deflate, br, zstd`);
  3. four more tickets and cards bought, the basket of five paid in one sandbox checkout, then
     "my permits" (five paid), one permit's page (with its receipt) and "my bills".
"""

import http.client
import re
import threading
import time

H = ('127.0.0.1', 8099)
BROWSER = 'gzip, deflate, br, zstd'


def req(method, path, body=None, cookies='', encoding=None):
    c = http.client.HTTPConnection(*H)
    hdr = {'Cookie': cookies}
    if body:
        hdr['Content-Type'] = 'application/x-www-form-urlencoded'
    if encoding:
        hdr['Accept-Encoding'] = encoding
    c.request(method, path, body=body, headers=hdr)
    r = c.getresponse()
    data = r.read()
    return r, data


def set_cookies(r):
    return [h.split(';')[0] for k, h in r.getheaders() if k.lower() == 'set-cookie']


def merge(cookies, r):
    """The cookie header with the cookies `r` set replacing those of the same name."""
    jar = dict(c.split('=', 1) for c in cookies.split('; ') if '=' in c)
    jar.update(c.split('=', 1) for c in set_cookies(r))
    return '; '.join(f'{k}={v}' for k, v in jar.items())


def measure(name, path, cookies='', encoding=None):
    lat = []
    lock = threading.Lock()

    def worker(n):
        c = http.client.HTTPConnection(*H)
        hdr = {'Cookie': cookies}
        if encoding:
            hdr['Accept-Encoding'] = encoding
        for _ in range(n):
            t = time.perf_counter()
            c.request('GET', path, headers=hdr)
            r = c.getresponse()
            r.read()
            assert r.status == 200, (path, r.status)
            with lock:
                lat.append((time.perf_counter() - t) * 1000)

    t0 = time.perf_counter()
    th = [threading.Thread(target=worker, args=(150,)) for _ in range(4)]
    [x.start() for x in th]
    [x.join() for x in th]
    el = time.perf_counter() - t0
    lat.sort()
    p = lambda q: lat[int(q * (len(lat) - 1))]  # noqa: E731
    print(f"{name}: {len(lat)} req, 4 conns, {len(lat)/el:.0f} req/s, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms")


r, d = req('GET', '/t/kobenhavn/login')
cookies = merge('', r)
csrf = re.search(rb'name="csrf" value="([0-9a-f]+)"', d).group(1).decode()
r, d = req('POST', '/t/kobenhavn/login/development',
           f'csrf={csrf}&national_id=120485-1006&back=/t/kobenhavn/', cookies)
cookies = merge(cookies, r)
r, d = req('POST', '/t/kobenhavn/products/P-RES-K1/apply', f'csrf={csrf}&plate=AB12345', cookies)
cookies = merge(cookies, r)

# 1. The first report's pages.
measure('home', '/t/kobenhavn/')
measure('product', '/t/kobenhavn/products/P-RES-K1')
measure('my-permits (1, unpaid)', '/t/kobenhavn/my/permits', cookies)

# 2. The home page compressed: gzip, and as a browser asks for it (brotli).
measure('home (gzip)', '/t/kobenhavn/', encoding='gzip')
measure('home (br)', '/t/kobenhavn/', encoding=BROWSER)

# 3. Five things bought in one basket and paid.
for sku in ['ST-DAY', 'ST-DAY', 'ST-EVENING', 'PC-WEEK']:
    r, d = req('POST', f'/t/kobenhavn/products/{sku}/apply',
               f'csrf={csrf}&plate=AB12345&delivery=pickup', cookies)
    assert r.status == 303, (sku, r.status, d[:300])
    cookies = merge(cookies, r)
r, d = req('POST', '/t/kobenhavn/checkout', f'csrf={csrf}', cookies)
assert r.status == 303, (r.status, d[:300])
psp = r.getheader('location').split(f'{H[0]}:{H[1]}', 1)[-1]
r, d = req('POST', psp, 'card_number=4242424242424242', cookies)
status = r.getheader('location').split(f'{H[0]}:{H[1]}', 1)[-1]
for _ in range(100):
    r, d = req('GET', status, cookies=cookies)
    if b'data-status="captured"' in d:
        break
    time.sleep(0.1)
assert b'data-status="captured"' in d, d[:500]
r, d = req('GET', '/t/kobenhavn/my/permits', cookies=cookies)
assert d.count(b'data-status="active"') == 5, d
permit = re.search(rb'/my/permits/([0-9a-f-]{36})', d).group(1).decode()
r, d = req('GET', f'/t/kobenhavn/my/permits/{permit}', cookies=cookies)
assert b'receipt.pdf' in d, d
measure('my-permits (5, paid)', '/t/kobenhavn/my/permits', cookies)
measure('my-permit (paid, receipt)', f'/t/kobenhavn/my/permits/{permit}', cookies)
measure('my-bills (5 paid, receipts)', '/t/kobenhavn/my/bills', cookies)

# The bytes the home page ships: uncompressed, gzip and as a browser asks (brotli).
paths = ['/t/kobenhavn/', '/assets/shop.css', '/assets/shop.js', '/t/kobenhavn/theme.css',
         '/t/kobenhavn/logo']
for label, encoding in [('uncompressed', None), ('gzip', 'gzip'), ('browser', BROWSER)]:
    sizes = []
    used = set()
    for path in paths:
        r, d = req('GET', path, encoding=encoding)
        sizes.append(len(d))
        used.add(r.getheader('content-encoding') or 'identity')
    print(f'home bytes {label} (html, css, js, theme, logo):', sizes, 'total', sum(sizes),
          'encodings', sorted(used))
