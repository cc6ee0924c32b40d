-- GET the URL given to wrk (one pre-issued /c/<token>) over and over.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")
setup, response, done = common.setup, common.response, common.done

function init(args)
   common.init_counters()
end
