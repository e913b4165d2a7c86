/**
 * MWAA hourly prices: the defaults `mwaa-ops report savings` uses when no price is given.
 *
 * MWAA bills per hour while an environment exists: the environment class (which includes the
 * default schedulers, one worker and the web server), each additional worker, scheduler and web
 * server, and the metadata database per GB-month. A paused environment does not exist, so it
 * costs none of these.
 *
 * The defaults (USD, checked 2026-12-03) are the on-demand prices as tabulated for
 * ap-northeast-1 by classmethod ("Amazon MWAA と Serverless のコスト構造の違いを比較してみた",
 * dev.classmethod.jp): mw1.small $0.49, mw1.medium $0.74, mw1.large $0.99 per hour; additional
 * worker $0.055 / $0.11 / $0.22; additional scheduler the same; additional web server $0.028 /
 * $0.055 / $0.11; metadata database $0.10 per GB-month. The mw1.small figure agrees with every
 * other source found (AWS's own blog and third-party guides quote $0.49 for us-east-1).
 * Prices differ by region and change: for a real report, pass your region's prices from
 * https://aws.amazon.com/managed-workflows-for-apache-airflow/pricing/ (`--hourly-price`, ...).
 * Classes not listed here (mw1.micro, mw1.xlarge, mw1.2xlarge) have no default: give the price.
 */

/** Hourly prices of one environment class. */
export interface ClassPrices {
  readonly environment: number;
  readonly worker: number;
  readonly scheduler: number;
  readonly webserver: number;
}

export const DEFAULT_PRICES: Readonly<Record<string, ClassPrices>> = {
  'mw1.small': { environment: 0.49, worker: 0.055, scheduler: 0.055, webserver: 0.028 },
  'mw1.medium': { environment: 0.74, worker: 0.11, scheduler: 0.11, webserver: 0.055 },
  'mw1.large': { environment: 0.99, worker: 0.22, scheduler: 0.22, webserver: 0.11 },
};

/** Metadata database storage, USD per GB-month. */
export const DEFAULT_STORAGE_PRICE_GB_MONTH = 0.1;

/** Hours in the month AWS prices GB-months over (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;
