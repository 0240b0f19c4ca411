declare module "cloudflare:workers" {
  interface ProvidedEnv extends Env {
    /** The simulator's base URL (control API under /control). */
    SIM_URL: string;
  }
}
