-- Find API (Intufind-compatible search): each tenant's plan, its API keys,
-- the indexed products, posts and taxonomies, and the search log. Rate and
-- monthly quota counters live in rate_counters (src/find/meter.c). Content
-- rows keep the document the client sent (unknown fields included) in
-- `document`; the other columns are what search, filters and facets read.

-- One row per tenant that has a plan set with intuka-admin; a tenant without
-- a row gets the built-in default plan (src/find/plan.c).
CREATE TABLE IF NOT EXISTS find_tenant_plans (
  tenant_id                  BIGINT UNSIGNED NOT NULL,
  plan_code                  VARCHAR(32) NOT NULL,
  subscription_status        ENUM('active', 'inactive') NOT NULL DEFAULT 'active',
  trial_ends_at              DATETIME(3) NULL,
  search_queries_per_month   INT UNSIGNED NOT NULL,
  chat_messages_per_month    INT UNSIGNED NOT NULL,
  recommendations_per_month  INT UNSIGNED NOT NULL,
  max_products               INT UNSIGNED NOT NULL,
  max_posts                  INT UNSIGNED NOT NULL,
  max_prompts                INT UNSIGNED NOT NULL,
  max_taxonomies             INT UNSIGNED NOT NULL,
  max_webhooks               INT UNSIGNED NOT NULL,
  rate_per_minute            INT UNSIGNED NOT NULL,
  rate_per_hour              INT UNSIGNED NOT NULL,
  updated_at                 DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id),
  CONSTRAINT find_tenant_plans_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Keys are stored as SHA-256 of the whole key; the key itself is shown once.
-- The hash index is global because a request names no tenant before its key
-- is known; the hash is the only thing it is searched by.
CREATE TABLE IF NOT EXISTS find_api_keys (
  tenant_id        BIGINT UNSIGNED NOT NULL,
  key_id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  key_hash         BINARY(32) NOT NULL,
  prefix           VARCHAR(16) NOT NULL,
  key_type         ENUM('secret', 'publishable') NOT NULL,
  label            VARCHAR(200) NOT NULL DEFAULT '',
  environment      ENUM('live', 'test') NOT NULL DEFAULT 'live',
  -- sorted, space-separated permissions the key is limited to; '' = all of its type
  scopes           VARCHAR(500) NOT NULL DEFAULT '',
  -- space-separated origins ("https://shop.example") a publishable key works from
  allowed_origins  VARCHAR(2000) NOT NULL DEFAULT '',
  expires_at       DATETIME(3) NULL,
  revoked_at       DATETIME(3) NULL,
  last_used_at     DATETIME(3) NULL,
  rotated_at       DATETIME(3) NULL,
  created_by       BIGINT UNSIGNED NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, key_id),
  UNIQUE KEY find_api_keys_hash (key_hash),
  KEY find_api_keys_id (key_id),
  CONSTRAINT find_api_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Origins of active publishable keys, for answering CORS preflights, which
-- carry no key. Written and removed with the key.
CREATE TABLE IF NOT EXISTS find_key_origins (
  origin     VARCHAR(255) NOT NULL,
  tenant_id  BIGINT UNSIGNED NOT NULL,
  key_id     BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (origin, tenant_id, key_id),
  KEY find_key_origins_key (tenant_id, key_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS find_products (
  tenant_id        BIGINT UNSIGNED NOT NULL,
  workspace        VARCHAR(63) NOT NULL,
  product_id       VARCHAR(191) NOT NULL, -- the client's id
  name             VARCHAR(500) NOT NULL,
  content          MEDIUMTEXT NOT NULL,
  excerpt          TEXT NOT NULL,
  sku              VARCHAR(191) NOT NULL DEFAULT '',
  price            DECIMAL(15,4) NULL,
  sale_price       DECIMAL(15,4) NULL,
  regular_price    DECIMAL(15,4) NULL,
  on_sale          TINYINT(1) NOT NULL DEFAULT 0,
  stock_status     VARCHAR(32) NOT NULL DEFAULT '',
  rating           DECIMAL(5,2) NULL,
  status           VARCHAR(32) NOT NULL DEFAULT '',
  categories_text  TEXT NOT NULL, -- the term lists joined, for FULLTEXT
  tags_text        TEXT NOT NULL,
  brands_text      TEXT NOT NULL,
  -- The words search reads, as tenant tokens "t<tenant>x<word>" (see
  -- src/modules/find_fulltext.h): of the name, and of everything searchable.
  search_name      TEXT NOT NULL,
  search_text      MEDIUMTEXT NOT NULL,
  document         MEDIUMTEXT NOT NULL, -- the entity as stored, JSON
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, workspace, product_id),
  KEY find_products_id (tenant_id, product_id),
  KEY find_products_price (tenant_id, workspace, price),
  KEY find_products_updated (tenant_id, workspace, updated_at),
  FULLTEXT KEY find_products_search_name (search_name),
  FULLTEXT KEY find_products_search_text (search_text)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS find_posts (
  tenant_id        BIGINT UNSIGNED NOT NULL,
  workspace        VARCHAR(63) NOT NULL,
  post_id          VARCHAR(191) NOT NULL,
  title            VARCHAR(500) NOT NULL,
  content          MEDIUMTEXT NOT NULL,
  excerpt          TEXT NOT NULL,
  url              VARCHAR(2048) NOT NULL DEFAULT '',
  status           VARCHAR(32) NOT NULL DEFAULT '',
  author_name      VARCHAR(200) NOT NULL DEFAULT '',
  categories_text  TEXT NOT NULL,
  tags_text        TEXT NOT NULL,
  search_name      TEXT NOT NULL, -- tenant tokens of the title
  search_text      MEDIUMTEXT NOT NULL, -- tenant tokens of everything searchable
  document         MEDIUMTEXT NOT NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, workspace, post_id),
  KEY find_posts_id (tenant_id, post_id),
  FULLTEXT KEY find_posts_search_name (search_name),
  FULLTEXT KEY find_posts_search_text (search_text)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS find_taxonomies (
  tenant_id      BIGINT UNSIGNED NOT NULL,
  workspace      VARCHAR(63) NOT NULL,
  taxonomy_id    VARCHAR(191) NOT NULL,
  name           VARCHAR(500) NOT NULL,
  slug           VARCHAR(191) NOT NULL DEFAULT '',
  taxonomy_name  VARCHAR(100) NOT NULL DEFAULT '',
  parent         VARCHAR(191) NOT NULL DEFAULT '',
  document       MEDIUMTEXT NOT NULL,
  created_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, workspace, taxonomy_id),
  KEY find_taxonomies_id (tenant_id, taxonomy_id),
  KEY find_taxonomies_kind (tenant_id, workspace, taxonomy_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per (entity, facet, term): the exact values filters and facets use.
CREATE TABLE IF NOT EXISTS find_terms (
  tenant_id  BIGINT UNSIGNED NOT NULL,
  entity     ENUM('product', 'post') NOT NULL,
  workspace  VARCHAR(63) NOT NULL,
  entity_id  VARCHAR(191) NOT NULL,
  facet      ENUM('categories', 'tags', 'brands') NOT NULL,
  term       VARCHAR(191) NOT NULL,
  PRIMARY KEY (tenant_id, entity, workspace, entity_id, facet, term),
  KEY find_terms_term (tenant_id, entity, facet, term, workspace)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every search, written after the response is sent.
CREATE TABLE IF NOT EXISTS find_search_log (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  search_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  entity        ENUM('product', 'post') NOT NULL,
  workspace     VARCHAR(63) NOT NULL DEFAULT '',
  query_text    VARCHAR(500) NOT NULL,
  result_count  INT UNSIGNED NOT NULL,
  source        ENUM('secret', 'publishable', 'jwt') NOT NULL,
  api_key_id    BIGINT UNSIGNED NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tenant_id, search_id),
  KEY find_search_log_id (search_id),
  KEY find_search_log_time (tenant_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
