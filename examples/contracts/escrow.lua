-- An escrow with a deadline. The buyer deploys it with the coins (--amount), naming seller, arbiter and
-- a deadline (milliseconds, block time). The buyer or the arbiter may release the coins to the seller;
-- after the deadline the buyer may take them back.
--   deploy:  chainlab contract deploy escrow.lua --amount 5000 --args '["clSeller...", "clArbiter...", 1767225600000]' --from BUYER --wait
--   use:     chainlab contract invoke ADDR release --from BUYER --wait
--            chainlab contract invoke ADDR refund --from BUYER --wait   (after the deadline)

function init(seller, arbiter, deadline_ms)
  assert(chain.amount > 0, "deploy the escrow with the coins it holds (--amount)")
  assert(type(seller) == "string" and type(arbiter) == "string", "seller and arbiter are addresses")
  assert(math.type(deadline_ms) == "integer" and deadline_ms > chain.time, "the deadline must be in the future")
  storage.set("buyer", chain.caller)
  storage.set("seller", seller)
  storage.set("arbiter", arbiter)
  storage.set("deadline", deadline_ms)
  storage.set("state", "funded")
end

local function still_funded()
  if storage.get("state") ~= "funded" then error("the escrow is already " .. storage.get("state"), 2) end
end

local function settle(to, outcome)
  local amount = chain.balance()
  storage.set("state", outcome)
  chain.transfer(to, amount)
  chain.emit(outcome, { to = to, amount = amount })
  return amount
end

function release()
  still_funded()
  local who = chain.caller
  if who ~= storage.get("buyer") and who ~= storage.get("arbiter") then error("only the buyer or the arbiter may release") end
  return settle(storage.get("seller"), "released")
end

function refund()
  still_funded()
  if chain.caller ~= storage.get("buyer") then error("only the buyer may take a refund") end
  if chain.time < storage.get("deadline") then error("the deadline has not passed") end
  return settle(storage.get("buyer"), "refunded")
end

function status()
  return { state = storage.get("state"), deadline = storage.get("deadline"), balance = chain.balance(),
           seller = storage.get("seller"), buyer = storage.get("buyer") }
end
