-- POST a valid new order to the URL given to wrk, over keep-alive connections.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.body = '{"stocks": "EURUSD", "quantity": 10}'
wrk.headers["Content-Type"] = "application/json"
