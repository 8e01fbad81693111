-- wrk script: each request is the next line of a prepared list "METHOD /path?query".
-- Environment (read once per thread):
--   BENCH_WRK_LIST     file with the request lines
--   BENCH_WRK_BODY     body size in bytes for PUT lines (default 0)
--   BENCH_WRK_THREADS  number of wrk threads (-t)
--   BENCH_WRK_ONCE     "1": each line is sent once, split over the threads; a thread that
--                      has all its answers writes "exhausted" to stderr and stops, and the
--                      harness then ends the run early with SIGINT. Connections with nothing
--                      left to send idle through delay() instead of repeating a request.
local list_file = os.getenv("BENCH_WRK_LIST")
local body_size = tonumber(os.getenv("BENCH_WRK_BODY") or "0")
local nthreads = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")
local once = os.getenv("BENCH_WRK_ONCE") == "1"
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  local body = string.rep("x", body_size)
  reqs = {}
  local i = 0
  for line in io.lines(list_file) do
    if (not once) or (i % nthreads == tid) then
      local method, path = line:match("^(%S+) (%S+)$")
      local b = nil
      if method == "PUT" then b = body end
      reqs[#reqs + 1] = wrk.format(method, path, nil, b)
    end
    i = i + 1
  end
  n = #reqs
  answered = 0
  reserved = 0
  if once then idx = 0 else idx = (tid * 7919) % n end
end

function request()
  if once and tid == 0 and not verified then
    -- wrk calls request() once on thread 0 to check the script: answer without advancing
    verified = true
    return reqs[1]
  end
  idx = idx + 1
  if idx > n then
    if once then idx = n else idx = 1 end
  end
  return reqs[idx]
end

if once then
  -- wrk asks delay() before every request(): hand out each line once, then idle
  function delay()
    if reserved >= n then return 60000 end
    reserved = reserved + 1
    return 0
  end

  function response(status, headers, body)
    answered = answered + 1
    if answered == n then
      io.stderr:write("exhausted\n")
      io.stderr:flush()
      wrk.thread:stop()
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
