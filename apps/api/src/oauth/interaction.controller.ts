import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Exchange } from './exchange.js';
import { InteractionService } from './interaction.service.js';

/** The login and consent pages of the Authorize dialog; oidc-provider sends the browser here. */
@Controller('interaction')
export class InteractionController {
  constructor(private readonly interactions: InteractionService) {}

  @Get(':uid')
  show(@Param('uid') uid: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.interactions.show(uid, exchange(req, reply));
  }

  @Post(':uid/login')
  login(@Param('uid') uid: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.interactions.login(uid, exchange(req, reply));
  }

  @Post(':uid/consent')
  consent(@Param('uid') uid: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.interactions.consent(uid, exchange(req, reply));
  }
}

/** The pages answer on the Node response itself, as oidc-provider does when it finishes an interaction. */
function exchange(req: FastifyRequest, reply: FastifyReply): Exchange {
  return { req: req.raw, res: reply.raw, body: req.body, ip: req.ip };
}
