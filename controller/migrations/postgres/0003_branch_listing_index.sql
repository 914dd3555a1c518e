-- Lists walk a company's rows in id order (keyset pagination); without this index the engine
-- scans the (company_id, name) index and sorts, which took ~100 ms at 100,000 branches.
CREATE INDEX branches_company_id ON branches(company_id, id);
