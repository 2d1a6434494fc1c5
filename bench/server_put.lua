-- bench/server_put.lua - wrk script of bench/server.sh for durable PUTs of
-- an annotation: every connection of a thread takes an item of the thread
-- whose last save has been answered, and PUTs $BENCH_PUT_DOC with If-Match
-- set to that item's current version, read from the previous answer
-- ({"id":A,"version":V,...}, or the 'current' state of a 409). Items come
-- from $BENCH_PUT_ITEMS ("item annotation version" lines), dealt to the
-- $BENCH_THREADS threads in turn. Prints a RESULT line like server_get.lua.
local counter = 0

function setup(thread)
	counter = counter + 1
	thread:set("tid", counter)
end

local doc, headers
local item_of, version, ready, mine = {}, {}, {}, {}

function init(args)
	local f = assert(io.open(os.getenv("BENCH_PUT_DOC"), "rb"))
	doc = f:read("*a")
	f:close()
	local n, i = tonumber(os.getenv("BENCH_THREADS")), 0
	for line in io.lines(os.getenv("BENCH_PUT_ITEMS")) do
		local item, ann, v = line:match("^(%d+) (%d+) (%d+)")
		if item and i % n == tid - 1 then
			item_of[ann] = item
			version[item] = v
			mine[#mine + 1] = item
			ready[#ready + 1] = item
		end
		i = i + 1
	end
	headers = {
		["Authorization"] = "Bearer " .. os.getenv("CAIRN_TOKEN"),
		["Content-Type"] = "application/json",
	}
end

function request()
	local item = table.remove(ready)
	if not item then
		-- Only after an answer that names no annotation (a 5xx): guess.
		item = mine[math.random(#mine)]
	end
	headers["If-Match"] = '"' .. version[item] .. '"'
	return wrk.format("PUT", "/api/v1/items/" .. item .. "/annotations/mine", headers, doc)
end

function response(status, hdrs, body)
	local ann, v
	if status == 200 or status == 201 then
		ann, v = body:match('^{"id":(%d+),"version":(%d+)')
	elseif status == 409 then
		ann, v = body:match('"current":{"annotation":{"id":(%d+),.-"version":(%d+)')
	end
	local item = ann and item_of[ann]
	if item then
		version[item] = v
		ready[#ready + 1] = item
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\n",
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		e.status, e.connect + e.read + e.write + e.timeout, summary.requests))
end
