import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DerivedEvent } from '../contract/index.js';
import type { Verdict } from '../intake/index.js';

/** The service's Prometheus metrics, on a registry of its own (one per app). */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly verdicts = new Counter({
    name: 'webinar_events_verdicts_total',
    help: 'Submitted events by verdict',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'webinar_events_rejection_errors_total',
    help: 'Errors of rejected events by code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly warnings = new Counter({
    name: 'webinar_events_warnings_total',
    help: 'Warnings of accepted events by code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly classifications = new Counter({
    name: 'webinar_events_classifications_total',
    help: 'Attendance classifications emitted',
    labelNames: ['attended'],
    registers: [this.registry],
  });
  readonly routes = new Counter({
    name: 'webinar_events_routes_total',
    help: 'Post-webinar routes emitted',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'webinar_events_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly overloaded = new Counter({
    name: 'webinar_events_overloaded_total',
    help: 'POST /v1/events answered 503 OVERLOADED, by what was full (pending_events, body_memory)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly bodyBytesReserved = new Gauge({
    name: 'webinar_events_http_body_bytes_reserved',
    help: 'Bytes of request bodies being received or handled (bounded by WEBINAR_EVENTS_BODY_MEMORY_MB)',
    registers: [this.registry],
  });
  readonly storeWriteFailures = new Counter({
    name: 'webinar_events_store_write_failures_total',
    help: 'Intake transactions the store did not commit, by error code (SQLITE_FULL, 53100, …); nothing was acknowledged',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly processorFailures = new Counter({
    name: 'webinar_events_processor_failures_total',
    help: 'Failed processor runs (retried)',
    registers: [this.registry],
  });
  readonly storeUp = new Gauge({
    name: 'webinar_events_store_up',
    help: 'Whether this scrape could read the store (1) or not (0); at 0 the head and checkpoint gauges are the last values read',
    registers: [this.registry],
  });
  readonly logHead = new Gauge({
    name: 'webinar_events_log_head_position',
    help: 'Last position in the log',
    registers: [this.registry],
  });
  readonly processorCheckpoint = new Gauge({
    name: 'webinar_events_processor_checkpoint_position',
    help: 'Last log position a processor has handled (compare with the log head)',
    labelNames: ['processor'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'webinar_events_' });
  }

  countVerdicts(verdicts: readonly Verdict[]): void {
    for (const verdict of verdicts) {
      this.verdicts.inc({ status: verdict.status });
      if (verdict.status === 'rejected') for (const e of verdict.errors) this.errors.inc({ code: e.code });
      else if (verdict.status === 'accepted')
        for (const w of verdict.warnings) this.warnings.inc({ code: w.code });
    }
  }

  countDerived(events: readonly DerivedEvent[]): void {
    for (const event of events) {
      if (event.type === 'client_webinar_attendance_classified') {
        this.classifications.inc({ attended: String(event.data['attended']) });
      } else this.routes.inc({ status: String(event.data['status']) });
    }
  }
}
