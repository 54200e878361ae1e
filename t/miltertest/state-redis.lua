-- state-redis.lua - state.lua on a private Redis (conf/state-redis.conf)
dofile("state.lua")
