"""Back office: result-entry deadlines on China's working-day calendar, and the record PDF.

The review workflow itself (queue, approval, publication) builds on the visits feature.
"""
