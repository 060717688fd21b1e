-- The sandbox every contract frame runs in. Trusted code: it runs once per frame, before the contract,
-- with the full standard library in reach, and builds the only environment the contract sees.
-- Arguments: host (C functions that never raise; they return ok, value|message), ctx (call context).
local host, ctx = ...

local type, error, pcall, select, rawget, rawset, rawequal, rawlen, ipairs, tonumber =
      type, error, pcall, select, rawget, rawset, rawequal, rawlen, ipairs, tonumber
local setmetatable, raw_tostring, assert = setmetatable, tostring, assert
local math_type, maxinteger, mininteger = math.type, math.maxinteger, math.mininteger
local string, table, utf8 = string, table, utf8
local s_find, s_match, s_gmatch, s_gsub, s_sub, s_format, s_byte = string.find, string.match, string.gmatch, string.gsub, string.sub, string.format, string.byte
local t_pack, t_unpack, t_sort, t_insert, t_remove, t_move = table.pack, table.unpack, table.sort, table.insert, table.remove, table.move
local u_len, u_codepoint, u_offset = utf8.len, utf8.codepoint, utf8.offset
local h_charge, h_keys = host.charge, host.keys

-- Charges gas for work done inside C, where the instruction hook never fires.
local function charge(units)
  if not h_charge(units) then error("out of gas", 0) end
end

local function unwrap(level, ok, ...)
  if not ok then error((...), level + 1) end
  return ...
end

-- tostring without addresses: tables and functions have no identity a contract can print.
local function tostring(v)
  local t = type(v)
  if t == "number" or t == "string" or t == "boolean" or t == "nil" then return raw_tostring(v) end
  return t
end

-- pairs in a defined order (integers, then other numbers, then strings bytewise, then false, true),
-- whatever the string hash seed of this process. The order comes from the host, charged per key.
local function pairs(t)
  if type(t) ~= "table" then error("bad argument #1 to 'pairs' (table expected, got " .. type(t) .. ")", 2) end
  local keys, n = unwrap(2, h_keys(t))
  local i = 0
  return function()
    while i < n do
      i = i + 1
      local k = keys[i]
      local v = rawget(t, k)
      if v ~= nil then return k, v end
    end
    return nil
  end, t, nil
end

local function xpcall(f, handler, ...)
  local r = t_pack(pcall(f, ...))
  if r[1] then return t_unpack(r, 1, r.n) end
  return false, handler(r[2])
end

-- Repetitions in a pattern: quantifiers after single items, %b and back-references (sets and escapes skipped).
local function repetitions(p)
  local q, i, m = 0, 1, #p
  while i <= m do
    local c = s_byte(p, i)
    if c == 37 then                                   -- %
      local d = s_byte(p, i + 1)
      if d == 98 then q = q + 1; i = i + 4            -- %bxy
      else
        if d and d >= 49 and d <= 57 then q = q + 1 end -- %1..%9
        i = i + 2
      end
    elseif c == 91 then                               -- [set]
      i = i + 1
      if s_byte(p, i) == 94 then i = i + 1 end
      repeat
        if s_byte(p, i) == 37 then i = i + 1 end
        i = i + 1
      until i > m or s_byte(p, i) == 93
      i = i + 1
    else i = i + 1 end
    local nx = s_byte(p, i)
    if nx == 42 or nx == 43 or nx == 45 or nx == 63 then q = q + 1; i = i + 1 end
  end
  return q
end

-- Worst-case steps of Lua's backtracking matcher: each of q repetitions may try every length, at every start.
local function pattern_cost(s, p)
  if type(s) ~= "string" and type(s) ~= "number" then return 1 end
  if type(p) ~= "string" and type(p) ~= "number" then return 1 end
  s, p = raw_tostring(s), raw_tostring(p)
  local n, m = #s + 1, #p + 1
  local q = repetitions(p)
  local starts = (s_byte(p, 1) == 94) and 1 or n -- '^' anchors to one start
  local cost = starts * m
  for _ = 1, q do
    if cost > (1 << 50) // n then return 1 << 50 end
    cost = cost * n
  end
  return cost // 8 + 1
end

local function find(s, p, init, plain)
  if plain then charge(((#raw_tostring(s) + 1) * (#raw_tostring(p) + 1)) // 8 + 1)
  else charge(pattern_cost(s, p)) end
  return s_find(s, p, init, plain)
end
local function match(s, p, init) charge(pattern_cost(s, p)); return s_match(s, p, init) end
local function gmatch(s, p, init) charge(pattern_cost(s, p)); return s_gmatch(s, p, init) end
local function gsub(s, p, repl, n)
  if type(repl) == "function" then
    error("string.gsub with a function replacement is not available in contracts (use string.gmatch)", 2)
  end
  charge(pattern_cost(s, p))
  return s_gsub(s, p, repl, n)
end
local function format(fmt, ...)
  if type(fmt) == "string" then
    local bare = s_gsub(fmt, "%%%%", "")
    if s_find(bare, "%%[-+ #0-9.]*[pq]") then error("string.format: %p and %q are not available in contracts", 2) end
  end
  local args = t_pack(...)
  for i = 1, args.n do
    local t = type(args[i])
    if t ~= "number" and t ~= "string" then args[i] = tostring(args[i]) end
  end
  return s_format(fmt, t_unpack(args, 1, args.n))
end

-- string methods ("x"):rep() reach this same table through the string metatable, so it is edited in place.
string.dump, string.pack, string.unpack, string.packsize = nil, nil, nil, nil
string.find, string.match, string.gmatch, string.gsub, string.format = find, match, gmatch, gsub, format
string.len = function(s) return #s end

-- A stable merge sort in Lua when a comparator is given: the comparator then runs metered and yieldable.
local function merge_sort(t, lt)
  local n = #t
  local buf = {}
  local width = 1
  while width < n do
    local i = 1
    while i <= n do
      local mid, hi = i + width, i + 2 * width
      if mid > n + 1 then mid = n + 1 end
      if hi > n + 1 then hi = n + 1 end
      local a, b, k = i, mid, i
      while a < mid and b < hi do
        if lt(t[b], t[a]) then buf[k] = t[b]; b = b + 1 else buf[k] = t[a]; a = a + 1 end
        k = k + 1
      end
      while a < mid do buf[k] = t[a]; a = a + 1; k = k + 1 end
      while b < hi do buf[k] = t[b]; b = b + 1; k = k + 1 end
      i = hi
    end
    for j = 1, n do t[j] = buf[j] end
    width = width * 2
  end
end

local function log2(n) local l = 1; while n > 1 do n = n // 2; l = l + 1 end; return l end

local safe_table = {
  concat = table.concat,
  pack = t_pack,
  unpack = t_unpack,
  insert = function(t, ...) if select("#", ...) >= 2 then charge(rawlen(t) // 4 + 1) end return t_insert(t, ...) end,
  remove = function(t, ...) charge(rawlen(t) // 4 + 1) return t_remove(t, ...) end,
  move = function(a1, f, e, tpos, a2)
    if math_type(f) == "integer" and math_type(e) == "integer" and e >= f then charge((e - f) // 4 + 1) end
    return t_move(a1, f, e, tpos, a2)
  end,
  sort = function(t, lt)
    if type(t) ~= "table" then error("bad argument #1 to 'sort' (table expected)", 2) end
    if lt ~= nil then return merge_sort(t, lt) end
    local n = rawlen(t)
    charge(n * log2(n) + 1)
    return t_sort(t)
  end,
}

local safe_utf8 = {
  char = utf8.char, charpattern = utf8.charpattern, codes = utf8.codes,
  len = function(s, ...) if type(s) == "string" then charge(#s // 8 + 1) end return u_len(s, ...) end,
  codepoint = function(s, ...) if type(s) == "string" then charge(#s // 8 + 1) end return u_codepoint(s, ...) end,
  offset = function(s, ...) if type(s) == "string" then charge(#s // 8 + 1) end return u_offset(s, ...) end,
}

local function int(v, what, level)
  if math_type(v) ~= "integer" then error(what .. " must be an integer", level + 1) end
  return v
end

-- Integer-only math, with arithmetic that stops on overflow instead of wrapping.
local safe_math = {
  maxinteger = maxinteger, mininteger = mininteger, type = math.type, ult = math.ult, tointeger = math.tointeger,
  abs = function(a) int(a, "abs: argument", 2); if a == mininteger then error("overflow in math.abs", 2) end return a < 0 and -a or a end,
  max = function(a, ...) int(a, "max: argument", 2); for i = 1, select("#", ...) do local b = int((select(i, ...)), "max: argument", 2); if b > a then a = b end end return a end,
  min = function(a, ...) int(a, "min: argument", 2); for i = 1, select("#", ...) do local b = int((select(i, ...)), "min: argument", 2); if b < a then a = b end end return a end,
  add = function(a, b)
    int(a, "add: a", 2); int(b, "add: b", 2)
    local r = a + b
    if (b > 0 and r < a) or (b < 0 and r > a) then error("overflow in math.add", 2) end
    return r
  end,
  sub = function(a, b)
    int(a, "sub: a", 2); int(b, "sub: b", 2)
    local r = a - b
    if (b < 0 and r < a) or (b > 0 and r > a) then error("overflow in math.sub", 2) end
    return r
  end,
  mul = function(a, b)
    int(a, "mul: a", 2); int(b, "mul: b", 2)
    if a == 0 or b == 0 then return 0 end
    local r = a * b
    if (a == -1 and b == mininteger) or (b == -1 and a == mininteger) or r // b ~= a then error("overflow in math.mul", 2) end
    return r
  end,
  div = function(a, b)
    int(a, "div: a", 2); int(b, "div: b", 2)
    if b == 0 then error("division by zero", 2) end
    if a == mininteger and b == -1 then error("overflow in math.div", 2) end
    return a // b
  end,
}

local h_get, h_set, h_emit, h_transfer, h_balance, h_call, h_sha256, h_verify =
  host.get, host.set, host.emit, host.transfer, host.balance, host.call, host.sha256, host.verify

local chain = {
  caller = ctx.caller, origin = ctx.origin, amount = ctx.amount, self = ctx.self,
  height = ctx.height, time = ctx.time,
  balance = function(addr) return unwrap(2, h_balance(addr)) end,
  transfer = function(to, amount) return unwrap(2, h_transfer(to, amount)) end,
  call = function(addr, fn, ...) return unwrap(2, h_call(addr, 0, fn, ...)) end,
  call_value = function(addr, amount, fn, ...) return unwrap(2, h_call(addr, amount, fn, ...)) end,
  emit = function(name, value) return unwrap(2, h_emit(name, value)) end,
  sha256 = function(s) return unwrap(2, h_sha256(s)) end,
  verify = function(key, message, signature) return unwrap(2, h_verify(key, message, signature)) end,
}

local storage = {
  get = function(key) return unwrap(2, h_get(key)) end,
  set = function(key, value) return unwrap(2, h_set(key, value)) end,
  delete = function(key) return unwrap(2, h_set(key, nil)) end,
}

local lib = {
  assert = assert, error = error, ipairs = ipairs, pairs = pairs, pcall = pcall, xpcall = xpcall,
  select = select, tonumber = tonumber, tostring = tostring, type = type,
  rawequal = rawequal, rawlen = rawlen, rawget = rawget, rawset = rawset,
  string = string, table = safe_table, utf8 = safe_utf8, math = safe_math,
  chain = chain, storage = storage, _VERSION = _VERSION,
}

local env = setmetatable({}, { __index = lib })

-- Runs the contract's chunk (which defines its functions in env), then the named public function.
local function run(chunk, fname, deploying, ...)
  chunk()
  if deploying then
    local init = rawget(env, "init")
    if type(init) == "function" then return (init(...)) end
    return nil
  end
  local f = rawget(env, fname)
  if fname == "init" or s_sub(fname, 1, 1) == "_" or type(f) ~= "function" then
    error("the contract has no public function '" .. fname .. "'", 0)
  end
  return (f(...))
end

return run, env
