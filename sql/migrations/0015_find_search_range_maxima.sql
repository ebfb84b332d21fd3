-- Range maxima of the find search index (docs/search.md): a term with at
-- least 16 buckets keeps the highest impact of its postings in each of 256
-- equal ranges of the document numbers, so a search bounds the blocks of
-- its words from the statistics row it reads anyway, instead of reading the
-- header of every remaining bucket (one read of hundreds of rows for a
-- common word at a million products).
--
-- NULL means unknown: the search then reads the bucket maxima as before.
-- `intuka-admin find-reindex` fills the column for the existing terms
-- (deploy/lib/stack.sh runs it when this migration is applied); writes
-- keep it from then on.

ALTER TABLE find_search_terms
  ADD COLUMN IF NOT EXISTS range_maxima VARBINARY(256) NULL AFTER bucket_bits;
