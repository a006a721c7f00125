-- wrk script for bench/http.py: POST each prepared task's form exactly once, then stop.
-- args: tasks-file body-file cookie-file threads. Thread i takes the ids at positions ≡ i (mod threads).
-- Success is a 302 (the app redirects to the case after completing); while a thread's last
-- POSTs are still in flight its idle connections send GET /healthz (200), counted apart.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function init(args)
  local nthreads = tonumber(args[4])
  ids = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then table.insert(ids, line) end
    i = i + 1
  end
  body = slurp(args[2])
  wrk.headers["Cookie"] = slurp(args[3])
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  nxt, ok, bad, extra = 1, 0, 0, 0
  -- wrk calls request() once on thread 0 right after init to check the request
  -- (script_verify_request); that call must not use up a task.
  verifying = (tid == 0)
end

function request()
  if verifying then
    verifying = false
    return wrk.format("POST", "/tasks/0", nil, body)
  end
  if nxt <= #ids then
    local id = ids[nxt]
    nxt = nxt + 1
    return wrk.format("POST", "/tasks/" .. id, nil, body)
  end
  return wrk.format("GET", "/healthz")
end

-- Once this thread has sent all its POSTs, its idle connections ask /healthz only every 100 ms
-- (wrk wants a request on every connection): with keep-alive they would otherwise loop on it
-- and crowd the latency figures.
function delay()
  if nxt > #ids then return 100 end
  return 0
end

function response(status, headers, resp_body)
  if status == 302 then ok = ok + 1
  elseif status == 200 and resp_body:find('"status"', 1, true) then extra = extra + 1
  else
    bad = bad + 1
    if bad <= 3 then io.stderr:write("unexpected " .. status .. ": " .. resp_body:sub(1, 300) .. "\n") end
  end
  if ok + bad >= #ids then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local ok_n, bad_n, extra_n = 0, 0, 0
  for _, t in ipairs(threads) do
    ok_n = ok_n + t:get("ok"); bad_n = bad_n + t:get("bad"); extra_n = extra_n + t:get("extra")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"duration_us": %d, "requests": %d, "ok": %d, "bad_status": %d, "healthz": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.duration, summary.requests, ok_n, bad_n, extra_n, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
