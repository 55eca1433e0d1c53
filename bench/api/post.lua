-- wrk script for bench/api/run: POST /v1/messages on keep-alive connections,
-- one message per request, each to a new recipient.
-- Usage: wrk ... -s bench/api/post.lua http://HOST:PORT -- API_KEY
--
-- Recipients are +336 followed by 8 digits: a digit per wrk thread, then a
-- per-thread counter, so threads never repeat a number. The thread digits
-- skip 3 and 9 because parts of 063 and 069 are not mobile ranges in
-- libphonenumber's metadata, and a refused number would be a 422, not a
-- measured request.

local thread_digits = { "1", "2", "4", "5", "6", "7", "8", "0" }
local threads = {}

function setup(thread)
   local n = #threads + 1
   if n > #thread_digits then
      error("post.lua: at most " .. #thread_digits .. " threads (-t)")
   end
   thread:set("digit", thread_digits[n])
   table.insert(threads, thread)
end

-- Globals, not locals: done() reads them from each thread with thread:get.
counter = 0
refused = 0
first_error = nil

function init(args)
   if not args[1] then
      error("post.lua: pass the API key after --")
   end
   wrk.method = "POST"
   wrk.path = "/v1/messages"
   wrk.headers["Authorization"] = "Bearer " .. args[1]
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   counter = counter + 1
   local body = string.format('{"to":"+336%s%07d","from":"Bench","text":"Votre code est %d"}',
                              digit, counter % 10000000, counter)
   return wrk.format(nil, nil, nil, body)
end

-- Keeps the first refusal's body: a non-2xx count alone does not say why.
function response(status, headers, body)
   if status ~= 202 then
      refused = refused + 1
      if not first_error then
         first_error = status .. " " .. body
      end
   end
end

function done(summary, latency, requests)
   local non2xx, first = 0, nil
   for _, t in ipairs(threads) do
      non2xx = non2xx + t:get("refused")
      first = first or t:get("first_error")
   end
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format("figures: requests/s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
                          "requests=%d non202=%d socket_errors=%d\n",
                          summary.requests / secs, latency:percentile(50) / 1000,
                          latency:percentile(90) / 1000, latency:percentile(99) / 1000,
                          latency.max / 1000, summary.requests, non2xx,
                          e.connect + e.read + e.write + e.timeout))
   if first then
      io.write("first refusal: " .. first .. "\n")
   end
end
