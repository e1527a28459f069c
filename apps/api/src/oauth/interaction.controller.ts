import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InteractionService } from './interaction.service.js';

/** The login and consent pages of the Authorize dialog; oidc-provider sends the browser here. */
@Controller('interaction')
export class InteractionController {
  constructor(private readonly interactions: InteractionService) {}

  @Get(':uid')
  show(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.interactions.show(uid, req, res);
  }

  @Post(':uid/login')
  login(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.interactions.login(uid, req, res);
  }

  @Post(':uid/consent')
  consent(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.interactions.consent(uid, req, res);
  }
}
