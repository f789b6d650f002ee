-- wrk script: POST one GraphQL request body with an optional bearer token, and count the
-- responses that are not a clean 200 (a 200 carrying GraphQL "errors" is a failure too).
-- usage: wrk -t1 -c32 -d10s --latency -s bench/post.lua URL -- BODY_FILE [TOKEN]
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "rb"), "cannot open body file " .. tostring(args[1]))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  if args[2] and args[2] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[2]
  end
  responses = 0
  failed = 0
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local total, bad = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("responses")
    bad = bad + thread:get("failed")
  end
  io.write(string.format("bench-checked responses=%d failed=%d\n", total, bad))
end
