import { Injectable } from '@nestjs/common';

/** Whether the process is shutting down: from then on readiness fails, so load balancers send no new requests. */
@Injectable()
export class ShutdownState {
  draining = false;
}
