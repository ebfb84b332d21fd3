-- wrk script for bench/run.sh: sends the requests listed in a file, in turn.
--
-- BENCH_REQUESTS   file with one request per line, fields separated by tabs:
--                    METHOD <TAB> PATH <TAB> ACCESS_TOKEN <TAB> JSON_BODY
--                  an empty token sends no Authorization header, an empty body
--                  no body. Several lines (e.g. one per user, or a mix of
--                  routes) are sent round-robin; each thread starts at a
--                  different line.
-- BENCH_STOP_AFTER optional: a thread stops after this many responses (wrk
--                  itself still waits for -d; run.sh interrupts it when the
--                  traffic has stopped). Used for "exactly N requests".
--
-- At the end, one machine-readable line on stdout for run.sh:
--   BENCH requests=N duration_us=N p50_us=N p99_us=N mean_us=N max_us=N
--         connect=N read=N write=N status=N timeout=N
-- "status" counts responses outside 2xx/3xx (wrk's definition).

local request_file = os.getenv("BENCH_REQUESTS")
local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "0") or 0

local thread_counter = 0
local requests = {}
local position = 0
local responses = 0

-- Runs in the main thread once per wrk thread: give each a number so that
-- the threads do not all start with the same user or route.
function setup(thread)
	thread:set("thread_number", thread_counter)
	thread_counter = thread_counter + 1
end

local function split_tabs(line)
	local fields = {}
	local start = 1
	while true do
		local tab = string.find(line, "\t", start, true)
		if tab == nil then
			fields[#fields + 1] = string.sub(line, start)
			return fields
		end
		fields[#fields + 1] = string.sub(line, start, tab - 1)
		start = tab + 1
	end
end

function init(args)
	if request_file == nil or request_file == "" then
		error("BENCH_REQUESTS is not set")
	end
	for line in io.lines(request_file) do
		if line ~= "" then
			local fields = split_tabs(line)
			local method, path, token, body = fields[1], fields[2], fields[3] or "", fields[4] or ""
			local headers = {}
			if token ~= "" then
				headers["Authorization"] = "Bearer " .. token
			end
			if body ~= "" then
				headers["Content-Type"] = "application/json"
			else
				body = nil
			end
			-- Formatted once here; request() only hands out the prepared bytes.
			requests[#requests + 1] = wrk.format(method, path, headers, body)
		end
	end
	if #requests == 0 then
		error("no request in " .. request_file)
	end
	position = (thread_number or 0) % #requests
end

function request()
	position = position % #requests + 1
	return requests[position]
end

-- Only defined when needed: a response() function makes wrk parse every
-- response and call into Lua, which costs client CPU.
if stop_after > 0 then
	function response(status, headers, body)
		responses = responses + 1
		if responses >= stop_after then
			wrk.thread:stop()
		end
	end
end

function done(summary, latency, requests_stats)
	local errors = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%d max_us=%d " ..
		"connect=%d read=%d write=%d status=%d timeout=%d\n",
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
		math.floor(latency.mean + 0.5), latency.max,
		errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
