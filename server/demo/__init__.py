"""Demo data: realistic, clearly marked Xinzhou data for a first look.

Each feature contributes a step; steps run in order inside one transaction.
"""
