-- POST /c/<token> with a fresh link per request. args[1] is a file prefix:
-- thread N reads "<prefix>.N", one "<path>\t<form body>" line per request.
-- A thread that runs out sends GET /__bench_exhausted__ (a 404), which the
-- harness reports as an error: that round is not a result.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")
setup, response, done = common.setup, common.response, common.done

local requests_ = {}
local spare

function init(args)
   common.init_counters()
   local headers = {}
   for name, value in pairs(wrk.headers) do headers[name] = value end
   headers["Content-Type"] = "application/x-www-form-urlencoded"
   for line in io.lines(args[1] .. "." .. id) do
      local tab = line:find("\t", 1, true)
      table.insert(requests_, wrk.format("POST", line:sub(1, tab - 1), headers, line:sub(tab + 1)))
   end
   spare = wrk.format("GET", "/__bench_exhausted__")
end

function request()
   used = used + 1
   local req = requests_[used]
   if req == nil then
      used = used - 1
      exhausted = exhausted + 1
      return spare
   end
   return req
end
