-- Calendar helpers the jobs share.

-- The `day`th of the month that starts on `month1`, or its last day when the month is shorter
-- (a monthly cycle anchored on the 31st starts on 28 February and 30 April).
CREATE OR REPLACE FUNCTION radbill_month_day(month1 date, day int) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT AS $fn$
    SELECT month1 + (least(day, CAST(extract(day FROM month1 + interval '1 month - 1 day') AS int))
                     - 1)
$fn$;
