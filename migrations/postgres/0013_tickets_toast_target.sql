-- Ticket rows stored as they are, up to 4 KB.
--
-- PostgreSQL compresses a row's long values once the row passes about 2 KB, again on
-- every update of the row, and decompresses them on every read. A ticket's row is about
-- 1.9 KB, most of it the JSON body, so one ticket in five (a longer description, a reply)
-- was compressed with pglz at each of the four or more transitions of its life cycle, to
-- save about a third of its body. That CPU is what the transition writer is short of
-- (BENCHMARKS.md, stop 23: pull 7–12% faster without it); the bytes are few. Rows above
-- 4 KB are still compressed. Applies to row versions written from now on.
ALTER TABLE tickets SET (toast_tuple_target = 4096);
