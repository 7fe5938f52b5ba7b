-- GET the URL given to wrk, over keep-alive connections.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
