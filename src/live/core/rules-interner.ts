/**
 * Accounts on the same rules share one rules object (memory per live account): interning
 * by the rules' JSON text. Pure; the store uses it for loaded and subscribed rules alike.
 */
import type { RuleParams } from "../../risk/index.ts";

export class RulesInterner {
  private readonly cache = new Map<string, RuleParams>();

  /** The shared rules object for this JSON text (parsed on first sight). */
  fromJson(json: string): RuleParams {
    let rules = this.cache.get(json);
    if (!rules) {
      rules = JSON.parse(json) as RuleParams;
      this.cache.set(json, rules);
    }
    return rules;
  }

  /** The shared rules object equal to `rules`. */
  intern(rules: RuleParams): RuleParams {
    return this.fromJson(JSON.stringify(rules));
  }
}
