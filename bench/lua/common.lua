-- Shared by the scenario scripts: numbers each thread, counts response
-- statuses per thread, and prints one JSON line from done():
--   BENCH_JSON {"requests": ..., "latency_us": {...}, "statuses": {...}, ...}
-- The harness (bench/wrk.py) reads that line; wrk's own report is ignored.
local M = {}

local threads = {}
local next_id = 0

function M.setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function M.init_counters()
   statuses = {}
   used = 0
   exhausted = 0
end

function M.response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

local function object(tbl)
   local parts = {}
   for key, value in pairs(tbl) do
      table.insert(parts, string.format('"%s": %s', tostring(key), tostring(value)))
   end
   return "{" .. table.concat(parts, ", ") .. "}"
end

function M.done(summary, latency, requests)
   local statuses_all, used_per_thread, exhausted_all = {}, {}, 0
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         statuses_all[status] = (statuses_all[status] or 0) + count
      end
      used_per_thread[thread:get("id") + 1] = thread:get("used")
      exhausted_all = exhausted_all + thread:get("exhausted")
   end
   local lat = {
      p50 = latency:percentile(50), p90 = latency:percentile(90),
      p99 = latency:percentile(99), mean = latency.mean, max = latency.max,
   }
   local errors = summary.errors
   io.write("BENCH_JSON {",
      '"requests": ', summary.requests, ', "duration_us": ', summary.duration,
      ', "bytes": ', summary.bytes,
      ', "socket_errors": ', object({connect = errors.connect, read = errors.read,
                                     write = errors.write, timeout = errors.timeout}),
      ', "status_errors": ', errors.status,
      ', "latency_us": ', object(lat),
      ', "statuses": ', object(statuses_all),
      ', "exhausted": ', exhausted_all,
      ', "used_per_thread": [', table.concat(used_per_thread, ", "), "]}\n")
end

return M
