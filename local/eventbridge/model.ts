/**
 * EventBridge state: the rules on each bus with their timers, and every accepted event. Matching
 * events go to each target through `Targets.deliver`; scheduled rules fire on the emulated clock.
 */
import type { Targets } from '../core/model.ts';
import type { ServiceContext } from '../core/service.ts';
import { nextFireTime } from '../scheduler/expression.ts';
import { runRecurring } from '../scheduler/recurring-timer.ts';
import { resourceNotFound } from './errors.ts';
import { checkEntry, type EntryResult, eventTime, type PutEventsEntry } from './events.ts';
import { busName, type Rule, targetPayload } from './rules.ts';

const key = (bus: string, name: string) => `${bus}/${name}`;

export class EventBusStore {
  /** By `<bus>/<name>`. */
  readonly rules = new Map<string, Rule>();
  /** Every event accepted so far, as full envelopes, oldest first. */
  readonly recorded: Array<Record<string, unknown>> = [];
  private readonly timers = new Map<string, () => void>();

  private readonly ctx: ServiceContext;
  private readonly targets: Targets;

  constructor(ctx: ServiceContext, targets: Targets) {
    this.ctx = ctx;
    this.targets = targets;
  }

  rule(bus: string, name: string): Rule | undefined {
    return this.rules.get(key(bus, name));
  }

  /** Add or replace a rule and (re)start its timer. */
  setRule(rule: Rule): void {
    this.rules.set(key(rule.eventBusName, rule.name), rule);
    this.arm(rule);
  }

  deleteRule(rule: Rule): void {
    this.timers.get(rule.arn)?.();
    this.timers.delete(rule.arn);
    this.rules.delete(key(rule.eventBusName, rule.name));
  }

  stopAll(): void {
    for (const stop of this.timers.values()) stop();
    this.timers.clear();
  }

  private deliver(rule: Rule, event: Record<string, unknown>) {
    for (const target of rule.targets) {
      const payload = targetPayload(target, event);
      this.targets.deliver(target.arn, payload).catch((error: unknown) =>
        this.ctx.log('events', 'target delivery failed', {
          rule: rule.name,
          target: target.arn,
          error: String(error),
        }),
      );
    }
  }

  /** (Re)start the timer of a scheduled rule; rate schedules count from the rule's creation. */
  private arm(rule: Rule) {
    this.timers.get(rule.arn)?.();
    this.timers.delete(rule.arn);
    const schedule = rule.schedule;
    if (!schedule || !rule.enabled) return;
    const stop = runRecurring(
      this.ctx.clock,
      this.ctx.clock.now(),
      (after) => nextFireTime(schedule, after, { anchor: rule.createdAt }),
      (scheduledTime) => {
        this.ctx.log('events', 'scheduled rule fired', { rule: rule.name });
        this.deliver(rule, {
          version: '0',
          id: crypto.randomUUID(),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: this.ctx.accountId,
          time: eventTime(scheduledTime),
          region: this.ctx.region,
          resources: [rule.arn],
          detail: {},
        });
      },
    );
    this.timers.set(rule.arn, stop);
  }

  private knownBus(name: string) {
    return name === 'default' || [...this.rules.values()].some((rule) => rule.eventBusName === name);
  }

  put(entries: PutEventsEntry[], trusted: boolean): EntryResult[] {
    const now = this.ctx.clock.now();
    return entries.map((entry) => {
      const checked = checkEntry(entry, {
        account: this.ctx.accountId,
        region: this.ctx.region,
        now,
        trusted,
      });
      if (!checked.ok) return checked.error;
      const bus = busName(checked.eventBusName);
      if (!this.knownBus(bus)) {
        return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
      }
      this.recorded.push(checked.event);
      this.ctx.log('events', 'event', {
        source: checked.event.source,
        detailType: checked.event['detail-type'],
      });
      for (const rule of this.rules.values()) {
        if (rule.enabled && rule.eventBusName === bus && rule.pattern?.matches(checked.event)) {
          this.deliver(rule, checked.event);
        }
      }
      return { EventId: checked.event.id as string };
    });
  }

  requireRule(name: unknown, bus: unknown): Rule {
    const eventBusName = busName(typeof bus === 'string' ? bus : undefined);
    const rule = typeof name === 'string' ? this.rules.get(key(eventBusName, name)) : undefined;
    if (!rule) throw resourceNotFound(`Rule ${String(name)} does not exist on EventBus ${eventBusName}.`);
    return rule;
  }
}
