import http.client, time, threading, statistics, re, sys
H=('127.0.0.1',8099)
def req(method, path, body=None, cookies=''):
    c=http.client.HTTPConnection(*H); hdr={'Cookie':cookies}
    if body: hdr['Content-Type']='application/x-www-form-urlencoded'
    c.request(method,path,body=body,headers=hdr); r=c.getresponse(); data=r.read(); return r, data
r,d=req('GET','/t/kobenhavn/login'); 
cookies='; '.join(h.split(';')[0] for k,h in r.getheaders() if k.lower()=='set-cookie')
csrf=re.search(rb'name="csrf" value="([0-9a-f]+)"',d).group(1).decode()
r,d=req('POST','/t/kobenhavn/login/development',f'csrf={csrf}&national_id=120485-1006&back=/t/kobenhavn/',cookies)
cookies+='; '+'; '.join(h.split(';')[0] for k,h in r.getheaders() if k.lower()=='set-cookie')
r,d=req('POST','/t/kobenhavn/products/P-RES-K1/apply',f'csrf={csrf}&plate=AB12345',cookies)
for name,path,ck in [('home','/t/kobenhavn/',''),('product','/t/kobenhavn/products/P-RES-K1',''),('my-permits','/t/kobenhavn/my/permits',cookies)]:
    lat=[]; lock=threading.Lock()
    def worker(n):
        c=http.client.HTTPConnection(*H)
        for _ in range(n):
            t=time.perf_counter(); c.request('GET',path,headers={'Cookie':ck}); r=c.getresponse(); r.read(); 
            assert r.status==200, r.status
            with lock: lat.append((time.perf_counter()-t)*1000)
    t0=time.perf_counter(); th=[threading.Thread(target=worker,args=(150,)) for _ in range(4)]
    [x.start() for x in th]; [x.join() for x in th]; el=time.perf_counter()-t0
    lat.sort(); p=lambda q: lat[int(q*(len(lat)-1))]
    print(f"{name}: {len(lat)} req, 4 conns, {len(lat)/el:.0f} req/s, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms")
r,d=req('GET','/t/kobenhavn/'); css,_=req('GET','/assets/shop.css'); js,_=req('GET','/assets/shop.js'); th,_=req('GET','/t/kobenhavn/theme.css'); lg,_=req('GET','/t/kobenhavn/logo')
sizes=[len(d)]+[len(req('GET',p)[1]) for p in ['/assets/shop.css','/assets/shop.js','/t/kobenhavn/theme.css','/t/kobenhavn/logo']]
print('home bytes (html, css, js, theme, logo):', sizes, 'total', sum(sizes))
