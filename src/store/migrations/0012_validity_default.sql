-- Whether a message's validity_until is relais's default rather than the
-- sender's own limit.
--
-- POST /v1/messages without "validity" gets dispatch.validity from when it is
-- due, written as validity_until like a given one. When the lawful-timing
-- rules defer a marketing message (from Saturday 20:00 before Easter Monday,
-- the next allowed minute is Tuesday 08:00, 60 h later), a limit the sender
-- chose is kept and the message expires past it; a default must not be used
-- up by the wait: it starts again from the new time, as a campaign
-- message's does. This column tells the two apart.
ALTER TABLE messages ADD COLUMN validity_default INTEGER NOT NULL DEFAULT 0
    CHECK (validity_default = 0 OR validity_default = 1);
