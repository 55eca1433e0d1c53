-- The account's own opt-out mentions (issue 5): the short number of "STOP au
-- 36xxx" is the account's, so an account can replace [campaigns]
-- optout_mention country by country (PATCH /v1/account). A JSON object of
-- country (ISO 3166 alpha-2, or "*" for every other) to mention, as the API
-- checked it; NULL: the configuration's apply.
ALTER TABLE accounts ADD COLUMN optout_mention TEXT
    CHECK (optout_mention IS NULL OR json_type(optout_mention) = 'object');
