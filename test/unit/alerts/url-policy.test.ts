import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isLoopbackHost, maskUrl } from "../../../src/alerts/url-policy.ts";

const refused = (url: string, local = false) => {
  const v = checkWebhookUrl(url, local);
  return v.ok ? null : v.reason;
};

describe("the webhook URL policy", () => {
  it("accepts https to a public host, with or without a port, path, query or credentials", () => {
    for (const url of [
      "https://crm.example.com/hooks/sentinel",
      "https://hooks.slack.com/services/T0/B0/xyz",
      "https://example.com:8443/x?y=1",
      "https://user:pass@example.com/x",
      "https://8.8.8.8/hook",
      "https://[2001:4860:4860::8888]/hook",
    ])
      expect(refused(url), url).toBeNull();
  });

  it("refuses http:// and other schemes for public hosts, even in a local run", () => {
    expect(refused("http://crm.example.com/hook")).toBe("must use https://");
    expect(refused("http://crm.example.com/hook", true)).toBe("must use https://");
    expect(refused("ftp://example.com/x")).toBe("must use https://");
    expect(refused("javascript:alert(1)")).not.toBeNull();
  });

  it("refuses private, link-local, shared, multicast and reserved addresses", () => {
    for (const url of [
      "https://10.1.2.3/",
      "https://172.16.0.1/",
      "https://172.31.255.255/",
      "https://192.168.0.1/",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/",
      "https://0.0.0.0/",
      "https://224.0.0.1/",
      "https://255.255.255.255/",
      "https://[fd00::1]/",
      "https://[fe80::1]/",
      "https://[::]/",
      "https://[::ffff:10.0.0.1]/",
      "https://[::ffff:a9fe:a9fe]/",
      // The URL parser turns these spellings into dotted IPv4 first.
      "https://0x0a000001/",
      "https://167772161/",
      "https://012.0.0.1/",
    ])
      expect(refused(url), url).toBe("must not point at a private or reserved address");
    expect(refused("https://172.32.0.1/")).toBeNull();
  });

  it("refuses names that only resolve inside a network", () => {
    for (const url of [
      "https://intranet/hook",
      "https://printer.local/",
      "https://db.internal/",
      "https://router.lan/",
    ])
      expect(refused(url), url).toBe("must name a public host");
  });

  it("refuses loopback unless the run is local, where http:// to it is allowed", () => {
    for (const url of [
      "http://127.0.0.1:8791/hooks/a",
      "https://localhost/x",
      "http://api.localhost/x",
      "http://[::1]:9/x",
      "http://127.1.2.3/x",
      "http://2130706433/x",
    ]) {
      expect(refused(url, false), url).toBe("must not point at a loopback host");
      expect(refused(url, true), url).toBeNull();
    }
  });

  it("tells loopback hosts apart", () => {
    expect(isLoopbackHost("127.0.0.1")).toBe(true);
    expect(isLoopbackHost("[::1]")).toBe(true);
    expect(isLoopbackHost("localhost")).toBe(true);
    expect(isLoopbackHost("128.0.0.1")).toBe(false);
    expect(isLoopbackHost("localhost.example.com")).toBe(false);
  });

  it("masks user name, password and every query value, and leaves plain paths", () => {
    expect(maskUrl("https://alice:s3cr3t@hooks.example.com/in?x=1")).toBe(
      "https://***:***@hooks.example.com/in?x=***",
    );
    expect(maskUrl("https://token@hooks.example.com/")).toBe("https://***@hooks.example.com/");
    expect(maskUrl("https://hooks.example.com/a")).toBe("https://hooks.example.com/a");
    expect(maskUrl("::nonsense")).toBe("(invalid URL)");
  });
});

describe("Trust: webhook URLs are masked everywhere they are shown", () => {
  it("masks secret-looking path segments and query values (a Slack hook, ?api_key=)", () => {
    expect(
      maskUrl("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ).toBe("https://hooks.slack.com/services/T00000000/B00000000/***");
    expect(maskUrl("https://discord.com/api/webhooks/123/aB3dE5gH7jK9mN1pQ3sT")).toBe(
      "https://discord.com/api/webhooks/123/***",
    );
    expect(maskUrl("https://crm.example.com/hook?api_key=k3y-v4lue&tenant=acme")).toBe(
      "https://crm.example.com/hook?api_key=***&tenant=***",
    );
    expect(maskUrl("https://crm.example.com/whsec_abc/in")).toBe("https://crm.example.com/***/in");
    expect(maskUrl("https://crm.example.com/hooks/sentinel-alerts")).toBe(
      "https://crm.example.com/hooks/sentinel-alerts",
    );
  });
});

describe("Trust: SSRF spellings that used to pass", () => {
  it("refuses trailing dots, wildcard DNS names, embedded and tunnelled private IPv4", () => {
    for (const url of [
      "https://localhost./",
      "https://db.internal./",
      "https://printer.local./",
      "https://127.0.0.1.nip.io/",
      "https://10-0-0-1.sslip.io/",
      "https://app.localtest.me/",
      "https://169.254.169.254.example.com/",
      "https://[::7f00:1]/",
      "https://[::127.0.0.1]/",
      "https://[2002:7f00:1::]/",
      "https://[2002:a00:1::1]/",
      "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
      "https://[2001:db8::1]/",
    ])
      expect(refused(url), url).not.toBeNull();
    // Public ones still pass: a 6to4 of a public address, a name with digits.
    expect(refused("https://[2002:808:808::1]/")).toBeNull();
    expect(refused("https://api-2024.example.com/")).toBeNull();
  });
});
