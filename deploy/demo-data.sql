-- Demo data for tenant @tenant_id (set by deploy/run.sh before sourcing):
-- a realistic spread of sales records, created over the last six months.
-- Run once, right after the tenant is created. Counters are recomputed at
-- the end so list totals match.

SET @owner := (SELECT MIN(user_id) FROM users WHERE tenant_id = @tenant_id);

INSERT INTO sales_accounts (tenant_id, name, industry, website, phone, owner_user_id, annual_revenue_minor, currency,
                            created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
SELECT @tenant_id,
       CONCAT(ELT(1 + i % 8, 'Northwind', 'Contoso', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Acme'), ' ',
              ELT(1 + (i DIV 8) % 5, 'Traders', 'Logistics', 'Labs', 'Holdings', 'Foods'), ' ', i),
       ELT(1 + i % 6, 'Retail', 'Manufacturing', 'Software', 'Logistics', 'Food', 'Finance'),
       CONCAT('https://example', i, '.test'), CONCAT('+44 20 7946 0', LPAD(i, 3, '0')), @owner,
       (100000 + i * 73519) * 100, ELT(1 + i % 3, 'EUR', 'GBP', 'USD'),
       @owner, NOW(3) - INTERVAL (i * 4) DAY
FROM n;

INSERT INTO sales_contacts (tenant_id, account_id, first_name, last_name, email, phone, title, owner_user_id,
                            created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 80)
SELECT @tenant_id, a.account_id,
       ELT(1 + i % 10, 'Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances', 'Edsger'),
       ELT(1 + (i * 7) % 10, 'Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson',
           'Allen', 'Dijkstra'),
       CONCAT('contact', i, '@example.test'), CONCAT('+44 161 496 0', LPAD(i, 3, '0')),
       ELT(1 + i % 4, 'Buyer', 'CFO', 'Head of Operations', 'Owner'), @owner, @owner, NOW(3) - INTERVAL (i * 2) DAY
FROM n
JOIN sales_accounts a ON a.tenant_id = @tenant_id
 AND a.account_id = (SELECT MIN(account_id) FROM sales_accounts WHERE tenant_id = @tenant_id) + (n.i % 40);

INSERT INTO sales_leads (tenant_id, first_name, last_name, company, email, phone, source, status, owner_user_id, notes,
                         created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
SELECT @tenant_id,
       ELT(1 + i % 12, 'Olivia', 'Noah', 'Amelia', 'Leo', 'Isla', 'Oliver', 'Ava', 'Arthur', 'Mia', 'Muhammad', 'Ivy',
           'Harry'),
       ELT(1 + (i * 5) % 12, 'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas',
           'Johnson', 'Roberts', 'Walker'),
       CONCAT(ELT(1 + i % 9, 'Bright', 'Blue', 'Green', 'Silver', 'Rapid', 'Clear', 'Prime', 'Open', 'True'), ' ',
              ELT(1 + (i DIV 9) % 7, 'Systems', 'Kitchens', 'Motors', 'Studios', 'Farms', 'Clinics', 'Partners')),
       CONCAT('lead', i, '@example.test'), CONCAT('+44 113 496 0', LPAD(i, 3, '0')),
       ELT(1 + i % 5, 'website', 'referral', 'trade show', 'cold call', 'newsletter'),
       ELT(1 + i % 10, 'new', 'new', 'new', 'contacted', 'contacted', 'contacted', 'qualified', 'qualified', 'lost', 'new'),
       @owner, '', @owner, NOW(3) - INTERVAL (i * 14) HOUR
FROM n;

INSERT INTO sales_opportunities (tenant_id, account_id, name, stage, amount_minor, currency, close_date, probability,
                                 owner_user_id, created_by, created_at)
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
SELECT @tenant_id, a.account_id, CONCAT(a.name, ' — ', ELT(1 + i % 4, 'renewal', 'expansion', 'pilot', 'new contract')),
       ELT(1 + i % 6, 'prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost'),
       (5000 + i * 2750) * 100, a.currency, CURRENT_DATE + INTERVAL (i * 6) DAY, ELT(1 + i % 6, 10, 25, 50, 75, 100, 0),
       @owner, @owner, NOW(3) - INTERVAL (i * 3) DAY
FROM n
JOIN sales_accounts a ON a.tenant_id = @tenant_id
 AND a.account_id = (SELECT MIN(account_id) FROM sales_accounts WHERE tenant_id = @tenant_id) + (n.i % 40);

-- List totals come from these counters when no filter narrows a list.
INSERT INTO resource_counts (tenant_id, resource, live_rows)
SELECT @tenant_id, 'leads', COUNT(*) FROM sales_leads WHERE tenant_id = @tenant_id AND deleted_at IS NULL
UNION ALL SELECT @tenant_id, 'accounts', COUNT(*) FROM sales_accounts WHERE tenant_id = @tenant_id AND deleted_at IS NULL
UNION ALL SELECT @tenant_id, 'contacts', COUNT(*) FROM sales_contacts WHERE tenant_id = @tenant_id AND deleted_at IS NULL
UNION ALL SELECT @tenant_id, 'opportunities', COUNT(*) FROM sales_opportunities
          WHERE tenant_id = @tenant_id AND deleted_at IS NULL
ON DUPLICATE KEY UPDATE live_rows = VALUES(live_rows);
